"""Seeded synthetic member profiles in French and English, for the search benchmark.

Realistic enough to matter for search cost: accented names and cities, gendered French job
titles, a long tail of organisations, skills with a Zipf-like popularity, and prose of the
length people actually write (a headline, a summary of a few sentences, two to four jobs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any


def _split(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


FIRST_FR = _split(
    "Zoé Élodie Léa Chloé Inès Manon Camille Théo Hugo Lucas Étienne Jérôme Gaëlle Anaïs "
    "Noémie Clément Benoît Loïc Maël Océane Aurélien Hélène Sébastien François Amélie Cécile "
    "Frédéric Maxime Julie Nicolas Pauline Thomas Mathilde Antoine Juliette Rémi Solène Yannick"
)
FIRST_EN = _split(
    "Emma Olivia Ava Sophia Liam Noah James Oliver Amelia Harper Ethan Mason Logan Grace "
    "Chloe Henry Jack Ella Lily Daniel Matthew Samuel Hannah Ruby Isaac Leo Freya Alice Owen"
)
LAST = _split(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre "
    "Mercier Dupont Lambert Bonnet François Martínez Légaré Côté Gagnon Tremblay Bélanger "
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson "
    "White Harris Clark Lewis Walker Young Allen King Wright Scott Green Baker Nguyen Müller"
)
CITIES = _split(
    "Paris|Lyon|Marseille|Toulouse|Nantes|Lille|Bordeaux|Strasbourg|Montpellier|Rennes|"
    "Grenoble|Besançon|Orléans|Nîmes|Saint-Étienne|Clermont-Ferrand|Brest|Angers|Genève|"
    "Lausanne|Bruxelles|Liège|Montréal|Québec|Trois-Rivières|Sherbrooke|Gatineau|Ottawa|"
    "Toronto|London|Manchester|Edinburgh|Dublin|Boston|New York|San Francisco|Berlin|München",
    "|",
)
ORG_KINDS_FR = ("Laboratoire", "Institut", "Groupe", "Atelier", "Cabinet", "Studio", "Agence")
ORG_KINDS_EN = ("Labs", "Systems", "Partners", "Consulting", "Analytics", "Robotics", "Health")
ORG_ROOTS = _split(
    "Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Cyberdyne Soylent Tyrell Aperture "
    "Nakatomi Oscorp Gringotts Monarch Sirius Helix Boréal Azur Méridien Étoile Aurore Horizon "
    "Vertex Quantix Lumen Nova Orion Pléiade Alizé Mistral Sequoia Cobalt Argent Opale Cèdre"
)
PUBLIC_ORGS = _split(
    "CNRS|Inria|INSERM|CEA|Université de Lyon|Université Laval|Sorbonne Université|"
    "École polytechnique|Université de Montréal|McGill University|Institut Pasteur|"
    "École normale supérieure|Mila|Université de Genève|EPFL|University of Edinburgh",
    "|",
)
SKILLS = _split(
    "Python|Java|JavaScript|TypeScript|C++|C#|Go|Rust|R|SQL|PostgreSQL|Machine Learning|"
    "Deep Learning|Data Science|Statistics|Kubernetes|Docker|AWS|Azure|Linux|React|Vue.js|"
    "Node.js|Django|Flask|Spark|Hadoop|TensorFlow|PyTorch|NLP|Computer Vision|Robotics|"
    "Product Management|Project Management|Agile|Scrum|UX Design|UI Design|Marketing|SEO|"
    "Sales|Negotiation|Leadership|Recruiting|Finance|Accounting|Law|Public Speaking|"
    "Biologie moléculaire|Génomique|Chimie|Physique|Mathématiques|Économie|Sociologie|"
    "Gestion de projet|Développement web|Cybersécurité|Réseaux|Électronique|Énergie|"
    "Santé publique|Épidémiologie|Communication|Rédaction|Traduction|Enseignement|"
    "Recherche clinique|Bioinformatique|Cartographie|Urbanisme|Design graphique|Photographie",
    "|",
)
TITLES_FR = (
    ("Développeur", "Développeuse"),
    ("Directeur technique", "Directrice technique"),
    ("Chercheur", "Chercheuse"),
    ("Ingénieur logiciel", "Ingénieure logicielle"),
    ("Informaticien", "Informaticienne"),
    ("Chef de projet", "Cheffe de projet"),
    ("Consultant", "Consultante"),
    ("Doctorant", "Doctorante"),
    ("Enseignant-chercheur", "Enseignante-chercheuse"),
    ("Data scientist", "Data scientist"),
    ("Responsable marketing", "Responsable marketing"),
    ("Directeur commercial", "Directrice commerciale"),
    ("Infirmier", "Infirmière"),
    ("Designer UX", "Designer UX"),
    ("Technicien de laboratoire", "Technicienne de laboratoire"),
)
TITLES_EN = _split(
    "Software engineer|Senior developer|Research scientist|Data scientist|Product manager|"
    "Engineering manager|Postdoctoral researcher|PhD candidate|Sales director|UX designer|"
    "Machine learning engineer|Security analyst|Lab technician|Professor|Recruiter",
    "|",
)
SENTENCES_FR = (
    "Passionnée par {s1} et {s2}, j'accompagne les équipes dans la transformation numérique.",
    "Je travaille depuis {n} ans sur des projets de {s1} à {city}.",
    "Spécialiste de {s1}, je conçois des solutions robustes pour l'industrie et la recherche.",
    "Mes travaux portent sur l'apprentissage automatique appliqué à {s2}.",
    "J'ai dirigé une équipe de {n} personnes et mené des projets internationaux.",
    "Curieuse et rigoureuse, j'aime transmettre et apprendre de nouvelles méthodes.",
    "Ancien élève de l'école d'ingénieurs, je développe des logiciels libres.",
    "Je recherche des collaborations autour de {s1}, de {s2} et de la science ouverte.",
    "Expérience en développement logiciel, en analyse de données et en gestion d'équipe.",
    "Membre actif d'associations professionnelles à {city}.",
)
SENTENCES_EN = (
    "I build reliable systems with {s1} and {s2} for teams that ship every week.",
    "Over {n} years in {s1}, from startups in {city} to large research labs.",
    "My research focuses on machine learning for {s2} and open science.",
    "Experienced engineering leader who mentors developers and grows teams.",
    "Passionate about teaching, writing and public speaking on {s1}.",
    "I led a team of {n} people delivering data products across Europe and Canada.",
    "Looking for partners interested in {s1}, {s2} and responsible innovation.",
    "Background in software development, data analysis and product management.",
)
OFFERS = ("Mentorat en {s1}", "Conseil en {s1}", "Mentoring on {s1}", "Talks about {s2}")
SEEKS = ("Un poste en {s1}", "Partenaires pour {s2}", "A role in {s1}", "Co-founders in {s2}")
DEGREES = ("Master", "Doctorat", "Licence", "MSc", "PhD", "BSc", "Diplôme d'ingénieur")


def _orgs(rng: random.Random, count: int) -> list[str]:
    orgs = list(PUBLIC_ORGS)
    while len(orgs) < count:
        root = rng.choice(ORG_ROOTS)
        if rng.random() < 0.5:
            orgs.append(f"{rng.choice(ORG_KINDS_FR)} {root} {rng.randint(1, 99)}")
        else:
            orgs.append(f"{root} {rng.choice(ORG_KINDS_EN)} {rng.randint(1, 99)}")
    return sorted(set(orgs))


def generate(count: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Yield ``count`` profile dicts in the shape the engine hands to ``search``."""
    rng = random.Random(seed)
    orgs = _orgs(rng, max(50, count // 40))
    skill_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(SKILLS))]
    for n in range(count):
        french = rng.random() < 0.6
        skills = list(
            dict.fromkeys(rng.choices(SKILLS, weights=skill_weights, k=rng.randint(2, 8)))
        )
        s1, s2 = rng.choice(skills), rng.choice(SKILLS)
        city = rng.choice(CITIES)
        org = rng.choice(orgs) if rng.random() < 0.9 else None
        values = {"s1": s1, "s2": s2, "city": city, "n": rng.randint(2, 20)}
        if french:
            female = rng.random() < 0.5
            first = rng.choice(FIRST_FR)
            title = rng.choice(TITLES_FR)[1 if female else 0]
            sentences = SENTENCES_FR
            headline = f"{title} chez {org}" if org else title
        else:
            first = rng.choice(FIRST_EN)
            title = rng.choice(TITLES_EN)
            sentences = SENTENCES_EN
            headline = f"{title} at {org}" if org else title
        summary = " ".join(s.format(**values) for s in rng.sample(sentences, rng.randint(2, 4)))
        experiences = []
        for _ in range(rng.randint(1, 3)):
            start = rng.randint(1995, 2022)
            past = rng.choice(TITLES_FR)[rng.randint(0, 1)] if french else rng.choice(TITLES_EN)
            experiences.append(
                f"{past}, {rng.choice(orgs)} ({start}-{start + rng.randint(1, 6)}): "
                + rng.choice(sentences).format(**values)
            )
        yield {
            "id": f"m{n}",
            "name": f"{first} {rng.choice(LAST)}",
            "headline": headline,
            "position": title,
            "organisation": org,
            "location": city,
            "skills": skills,
            "summary": summary,
            "experiences": "\n".join(experiences),
            "education": f"{rng.choice(DEGREES)}, {rng.choice(PUBLIC_ORGS)}",
            "offers": rng.choice(OFFERS).format(**values),
            "seeks": rng.choice(SEEKS).format(**values),
            "open_to_opportunities": rng.random() < 0.3,
            "language": "fr" if french else "en",
            "updated_at": f"2026-01-{1 + n % 28:02d}T10:00:00+00:00",
        }
