"""Acme: a company network (departments, offices, roles); everyone is at @acme.example."""

from __future__ import annotations

from maillon.demo.catalogue import Community, Org, Persona, School, Title, Track, both

OFFICES = tuple(Org(f"Acme {city}", city) for city in (
    "Paris", "Lyon", "London", "Berlin", "Boston", "Montréal", "Singapore", "Madrid", "Austin"))


def ladder(*titles: str) -> tuple[Title, ...]:
    return tuple(both(t) for t in titles)


def offices(*indexes: int) -> tuple[Org, ...]:
    return tuple(OFFICES[i] for i in indexes)


TRACKS = (
    Track("Engineering", ladder("Software Engineer", "Senior Software Engineer",
                                "Staff Engineer", "Engineering Manager",
                                "Director of Engineering"),
          ("Python", "Go", "Kubernetes", "PostgreSQL", "distributed systems", "CI/CD",
           "TypeScript", "system design", "observability"),
          ("the payments platform", "the mobile apps", "the data pipeline",
           "the migration to Kubernetes", "the public API"),
          offices(0, 1, 2, 3, 4, 8), weight=6),
    Track("Product", ladder("Associate Product Manager", "Product Manager",
                            "Senior Product Manager", "Group Product Manager", "VP Product"),
          ("product discovery", "roadmapping", "user research", "analytics", "A/B testing",
           "pricing"),
          ("the onboarding funnel", "the enterprise offer", "the partner marketplace"),
          offices(0, 2, 4, 8), weight=2),
    Track("Design", ladder("Product Designer", "Senior Product Designer", "Design Lead",
                           "Head of Design"),
          ("Figma", "design systems", "accessibility", "prototyping", "user research"),
          ("the design system", "the accessibility audit", "the new dashboard"),
          offices(0, 2, 5), weight=1),
    Track("Sales", ladder("Sales Development Representative", "Account Executive",
                          "Senior Account Executive", "Sales Manager", "VP Sales EMEA"),
          ("negotiation", "Salesforce", "enterprise sales", "pipeline management",
           "public tenders", "key accounts"),
          ("the banking accounts", "the public sector", "new markets in Southern Europe"),
          offices(0, 1, 2, 3, 7, 6), weight=4),
    Track("Marketing", ladder("Marketing Coordinator", "Marketing Manager",
                              "Senior Marketing Manager", "Head of Growth", "CMO"),
          ("content strategy", "SEO", "events", "brand", "marketing automation", "copywriting"),
          ("the annual customer conference", "the rebrand", "the developer community"),
          offices(0, 2, 4), weight=2),
    Track("Customer Success", ladder("Support Specialist", "Customer Success Manager",
                                     "Senior Customer Success Manager", "Head of Support"),
          ("customer onboarding", "Zendesk", "renewals", "training", "escalation management"),
          ("the support knowledge base", "the onboarding programme", "churn reduction"),
          offices(1, 5, 6, 7), weight=3),
    Track("Data", ladder("Data Analyst", "Data Scientist", "Senior Data Scientist",
                         "Lead Data Scientist", "Head of Data"),
          ("SQL", "Python", "dbt", "forecasting", "machine learning", "dashboards"),
          ("demand forecasting", "the churn model", "the metrics layer"),
          offices(0, 2, 3, 4), weight=2),
    Track("Finance", ladder("Financial Analyst", "Senior Financial Analyst", "Controller",
                            "Finance Director", "CFO"),
          ("FP&A", "IFRS", "budgeting", "SAP", "treasury", "audit"),
          ("the yearly budget", "the group consolidation", "the ERP rollout"),
          offices(0, 2), weight=2),
    Track("People", ladder("HR Coordinator", "HR Business Partner", "Talent Acquisition Lead",
                           "Head of People"),
          ("recruiting", "employer branding", "employment law", "compensation", "onboarding"),
          ("the graduate programme", "the hybrid work policy", "internal mobility"),
          offices(0, 2, 3, 4), weight=2),
    Track("Legal", ladder("Legal Counsel", "Senior Legal Counsel", "Head of Legal",
                          "General Counsel"),
          ("contracts", "GDPR", "intellectual property", "compliance", "negotiation"),
          ("the GDPR programme", "the partner contracts", "the trademark portfolio"),
          offices(0, 2), weight=1),
    Track("Operations", ladder("Operations Analyst", "Operations Manager", "Supply Chain Lead",
                               "Director of Operations"),
          ("supply chain", "lean", "procurement", "logistics", "vendor management"),
          ("the new warehouse in Lyon", "supplier consolidation", "the shipping costs"),
          offices(1, 7, 6, 8), weight=2),
    Track("IT", ladder("IT Support Technician", "Systems Administrator", "IT Manager",
                       "CISO"),
          ("Active Directory", "networking", "security", "ITIL", "cloud", "endpoint management"),
          ("the laptop fleet", "the zero-trust network", "the ISO 27001 certification"),
          offices(0, 1, 2, 6), weight=2),
)

SCHOOLS = (
    School("École d'ingénieurs de Lumière", (("MSc", "Computer Science"),
                                              ("Engineering degree", "Industrial Engineering"))),
    School("University of Northbridge", (("BSc", "Economics"), ("MSc", "Data Science"),
                                         ("BA", "English"))),
    School("Institut supérieur de commerce de Paris", (("Master", "Management"),
                                                       ("MBA", "Business Administration"))),
    School("Boston Institute of Technology", (("BSc", "Electrical Engineering"),
                                              ("MS", "Computer Science"))),
    School("Technische Universität Rheinfeld", (("Master", "Informatik"),)),
    School("Universidad del Mar Cantábrico", (("Grado", "Derecho"), ("Máster", "Marketing"))),
    School("Singapore Management College", (("BBA", "Finance"),)),
    School("Université Lumière Rhône", (("Licence", "Psychologie"), ("Master", "Droit social"))),
)

COMMUNITY = Community(
    slug="acme",
    size=360,
    french_share=0.35,
    locales=(("en", 6), ("fr", 3), (None, 1)),
    tracks=TRACKS,
    schools=SCHOOLS,
    past_orgs=(Org("Northwind Traders", "London"), Org("Contoso", "Paris"),
               Org("Fabrikam", "Berlin"), Org("Tailspin Toys", "Boston"),
               Org("Wide World Importers", "Singapore"), Org("Litware", "Lyon"),
               Org("Adventure Works", "Madrid"), Org("Proseware", "Montréal")),
    cities=("Paris", "Lyon", "London", "Berlin", "Boston", "Montréal", "Singapore", "Madrid",
            "Austin"),
    headline="{title} · {field} · {org}",
    summaries=(
        "{years} years in {field}. At Acme I work on {topic}; before that, {topic2}.",
        "I help Acme with {topic}. Happy to share what we learned, ask me anything about "
        "{field}.",
        "{field} at Acme {city}. Currently focused on {topic}.",
        "Joined Acme to work on {topic}. I like cross-team projects and mentoring.",
    ),
    descriptions=(
        "Led {topic}.",
        "Worked on {topic} with teams in three offices.",
        "Owned {topic} end to end.",
        "Contributed to {topic}.",
    ),
    offers=(
        "Mentoring for new joiners.",
        "A walkthrough of how my team works.",
        "Introductions to customers in my region.",
        "Help with interview preparation.",
        "Office hours on our internal tools.",
    ),
    seeks=(
        "An internal move to another office.",
        "A mentor in another department.",
        "Contacts in the banking sector.",
        "People who worked on similar projects.",
        "Volunteers for the hackathon.",
    ),
    email_domain="acme.example",
    personas=(
        Persona("admin@acme.example", "Rachel", "Collins", True, "admin", 8, 3, 2,
                "I run Acme Network for the People team."),
        Persona("moderator@acme.example", "Karim", "Haddad", False, "moderator", 5, 3, 1,
                "Moderator of Acme Network."),
        Persona("sam.taylor@acme.example", "Samuel", "Taylor", False, "member", 3, 1, 2,
                "Account executive looking for warm introductions to banking customers."),
        Persona("lea.moreau@acme.example", "Léa", "Moreau", True, "member", 0, 3, 0,
                "Engineering manager, payments platform. Hiring!"),
    ),
)
