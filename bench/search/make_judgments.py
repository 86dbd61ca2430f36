"""Write bench/search/judgments.toml from the graded judgment rules below.

The rules say, for each query, which demo members a person typing it wants, in grades:
3 exactly what was asked, 2 clearly useful, 1 somewhat useful (0, unlisted: not wanted).
They read only what a member shows on their profile (current position, field of work,
skills, organisation, city, name) and were written from what the searcher asks for, before
any ranking change, without running the engine. This script turns them into lists of e-mail
addresses (ids change between databases; addresses of the seeded demo do not); the TOML is
what the benchmark reads and what a reviewer checks.

    .venv/bin/python bench/search/make_judgments.py --docs DOCS.json   # from relevance.py --dump
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
Doc = dict[str, Any]
Rule = Callable[[Doc], int]


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def position(doc: Doc) -> str:
    return fold(doc["position"])


def is_title(*titles: str) -> Callable[[Doc], bool]:
    """The current position is one of ``titles`` (case, accents ignored)."""
    wanted = {fold(t) for t in titles}
    return lambda d: position(d) in wanted


def title_has(pattern: str) -> Callable[[Doc], bool]:
    """The current position matches a regular expression (on folded text)."""
    rx = re.compile(pattern)
    return lambda d: bool(rx.search(position(d)))


def field_of(doc: Doc) -> str:
    """The member's field of work as the demo headline shows it."""
    head = doc["headline"]
    if " en " in head and " · " in head:  # academia: "{title} en {field} · {org}"
        return fold(head.split(" · ")[0].split(" en ", 1)[1])
    parts = head.split(" · ")
    if len(parts) == 3:  # acme: "{title} · {field} · {org}"
        return fold(parts[1])
    return ""


def in_field(*fields: str) -> Callable[[Doc], bool]:
    wanted = {fold(f) for f in fields}
    return lambda d: field_of(d) in wanted


def skill(*names: str) -> Callable[[Doc], bool]:
    wanted = {fold(s) for s in names}
    return lambda d: any(fold(s) in wanted for s in d["skills"])


def says(pattern: str) -> Callable[[Doc], bool]:
    """The summary or the experiences say it (folded regular expression)."""
    rx = re.compile(pattern)
    return lambda d: bool(rx.search(fold(f"{d['summary']} {d['experiences']}")))


def city(*names: str) -> Callable[[Doc], bool]:
    wanted = {fold(c) for c in names}
    return lambda d: fold(d["location"]) in wanted


def org_has(pattern: str) -> Callable[[Doc], bool]:
    rx = re.compile(pattern)
    return lambda d: bool(rx.search(fold(d["organisation"])))


def named(*names: str) -> Callable[[Doc], bool]:
    wanted = {fold(n) for n in names}
    return lambda d: fold(d["name"]) in wanted


def surname(last: str) -> Callable[[Doc], bool]:
    return lambda d: fold(d["name"]).split()[-1] == fold(last)


def both(a: Callable[[Doc], bool], b: Callable[[Doc], bool]) -> Callable[[Doc], bool]:
    return lambda d: a(d) and b(d)


def graded(*levels: tuple[int, Callable[[Doc], bool]]) -> Rule:
    """The first level whose test holds (list the highest grade first)."""

    def rule(doc: Doc) -> int:
        for grade, test in levels:
            if test(doc):
                return grade
        return 0

    return rule


# -- academia ----------------------------------------------------------------------------------
POSTDOC = title_has(r"^post-doctorant")
PHD = title_has(r"^doctorant")
PU = title_has(r"^professeur")
MCF = title_has(r"^(maitre|maitresse) de conferences")
CR = title_has(r"^chargee? de recherche")
DR = title_has(r"^direct(eur|rice) de recherche")
IR = title_has(r"^ingenieure? de recherche")
AT_LAB = org_has(r"laboratoire|institut|centre|observatoire|groupe de recherche|equipe")
NLP = graded((3, skill("TAL", "traitement du langage")), (1, says(r"modeles de langue")))
ML = graded((3, in_field("apprentissage automatique")),
            (2, skill("apprentissage automatique", "apprentissage profond")))
PHYSICS = graded((3, in_field("physique quantique")), (2, in_field("astrophysique")))
COMPUTING = graded((3, in_field("apprentissage automatique", "interaction humain-machine")),
                   (1, lambda d: "informati" in fold(d["education"])
                    or "computer science" in fold(d["education"])))
LAB_HEAD = graded((2, both(DR, AT_LAB)), (1, DR), (1, both(PU, AT_LAB)))

ACADEMIA: list[tuple[str, str, str, Rule]] = [
    ("postdoc", "en", "abbreviation", graded((3, POSTDOC))),
    ("post-doctorante", "fr", "title", graded((3, POSTDOC))),
    ("postdoctoral researcher", "en", "title", graded((3, POSTDOC))),
    ("prof", "fr", "abbreviation", graded((3, PU))),
    ("professeur", "fr", "title", graded((3, PU))),
    ("professeure des universités", "fr", "title", graded((3, PU))),
    ("professor", "en", "title", graded((3, PU))),
    ("maître de conférences", "fr", "title", graded((3, MCF))),
    ("maitresse de conference", "fr", "typo", graded((3, MCF))),
    ("MCF", "fr", "abbreviation", graded((3, MCF))),
    ("associate professor", "en", "title", graded((3, MCF))),
    ("doctorante", "fr", "title", graded((3, PHD))),
    ("PhD student", "en", "title", graded((3, PHD))),
    ("chargée de recherche", "fr", "title", graded((3, CR))),
    ("directeur de recherche", "fr", "title", graded((3, DR))),
    ("research director", "en", "title", graded((3, DR))),
    ("ingénieur de recherche", "fr", "title", graded((3, IR))),
    ("research engineer", "en", "title", graded((3, IR))),
    ("head of lab", "en", "title", LAB_HEAD),
    ("directeur de laboratoire", "fr", "title", LAB_HEAD),
    ("labo", "fr", "abbreviation", graded((2, org_has(r"laboratoire")))),
    ("labo linguistique", "fr", "multi-word",
     graded((3, org_has(r"^lld ")), (1, in_field("linguistique")))),
    ("NLP", "en", "abbreviation", NLP),
    ("TAL", "fr", "abbreviation", NLP),
    ("traitement automatique des langues", "fr", "field", NLP),
    ("natural language processing", "en", "field", NLP),
    ("machine learning", "en", "field", ML),
    ("apprentissage automatique", "fr", "field", ML),
    ("deep learning", "en", "skill",
     graded((3, skill("apprentissage profond")), (1, in_field("apprentissage automatique")))),
    ("physicienne", "fr", "title", PHYSICS),
    ("physicien", "fr", "title", PHYSICS),
    ("physics", "en", "field", PHYSICS),
    ("informaticienne", "fr", "title", COMPUTING),
    ("computer scientist", "en", "title", COMPUTING),
    ("information quantique", "fr", "skill",
     graded((3, skill("information quantique")), (1, in_field("physique quantique")))),
    ("quantum physics", "en", "field", graded((3, in_field("physique quantique")))),
    ("climat", "fr", "field", graded((3, in_field("sciences du climat")))),
    ("climate scientist", "en", "field", graded((3, in_field("sciences du climat")))),
    ("glaciers", "fr", "skill", graded((3, says(r"glaciers")),
                                       (1, in_field("sciences du climat")))),
    ("bio-informatique", "fr", "skill",
     graded((3, skill("bio-informatique")), (1, in_field("biologie computationnelle")))),
    ("bioinformatics", "en", "skill",
     graded((3, skill("bio-informatique")), (1, in_field("biologie computationnelle")))),
    ("génomique", "fr", "skill", graded((3, skill("génomique")),
                                        (1, in_field("biologie computationnelle")))),
    ("neurosciences", "fr", "field", graded((3, in_field("neurosciences cognitives")))),
    ("neurociences", "fr", "typo", graded((3, in_field("neurosciences cognitives")))),
    ("fMRI", "en", "abbreviation", graded((3, skill("IRMf")),
                                          (1, in_field("neurosciences cognitives")))),
    ("IRMf", "fr", "skill", graded((3, skill("IRMf")),
                                   (1, in_field("neurosciences cognitives")))),
    ("sociologue", "fr", "title", graded((3, in_field("sociologie")))),
    ("sociology", "en", "field", graded((3, in_field("sociologie")))),
    ("sociologie du travail", "fr", "skill",
     graded((3, skill("sociologie du travail")), (1, in_field("sociologie")))),
    ("économiste", "fr", "title", graded((3, in_field("économie du développement")))),
    ("econometrics", "en", "skill", graded((3, skill("économétrie")),
                                           (1, in_field("économie du développement")))),
    ("historienne", "fr", "title", graded((3, in_field("histoire moderne")))),
    ("astrophysicien", "fr", "title", graded((3, in_field("astrophysique")))),
    ("exoplanètes", "fr", "skill", graded((3, says(r"exoplanetes")),
                                          (1, in_field("astrophysique")))),
    ("linguiste", "fr", "title", graded((3, in_field("linguistique")))),
    ("linguist", "en", "title", graded((3, in_field("linguistique")))),
    ("machine learning Lyon", "en", "multi-word",
     graded((3, both(in_field("apprentissage automatique"), city("Lyon"))),
            (1, in_field("apprentissage automatique")))),
    ("postdoc machine learning", "en", "multi-word",
     graded((3, both(POSTDOC, in_field("apprentissage automatique"))),
            (1, in_field("apprentissage automatique")), (1, POSTDOC))),
    ("doctorante sociologie", "fr", "multi-word",
     graded((3, both(PHD, in_field("sociologie"))), (1, in_field("sociologie")))),
    ("Python", "fr", "skill", graded((3, skill("Python")))),
    ("pyhton", "fr", "typo", graded((3, skill("Python")))),
    ("statistique bayésienne", "fr", "skill",
     graded((3, skill("statistique bayésienne")), (1, skill("statistiques")))),
    ("LISC", "fr", "organisation", graded((3, org_has(r"^lisc ")))),
    ("Université de Garonne", "fr", "organisation", graded((3, org_has(r"universite de garonne")))),
    ("Lyon", "fr", "location", graded((3, city("Lyon")))),
    ("Kenji Tanaka", "fr", "name", graded((3, named("Kenji Tanaka")))),
    ("helene marchand", "fr", "name", graded((3, named("Hélène Marchand")))),
    ("Claire Dubois", "fr", "name", graded((3, named("Claire Dubois")))),
    ("Dubois", "fr", "name", graded((3, surname("Dubois")))),
]

# -- acme --------------------------------------------------------------------------------------
CFO = graded((3, is_title("CFO")), (1, is_title("Finance Director")))
PRODUCT_MANAGER = title_has(r"product manager$")
SOFTWARE = graded((3, is_title("Software Engineer", "Senior Software Engineer")),
                  (2, is_title("Staff Engineer")),
                  (1, is_title("Engineering Manager", "Director of Engineering")))
PEOPLE = in_field("People")
LEGAL = in_field("Legal")
SALES = in_field("Sales")

ACME: list[tuple[str, str, str, Rule]] = [
    ("CFO", "en", "abbreviation", CFO),
    ("chief financial officer", "en", "title", CFO),
    ("directeur financier", "fr", "title", CFO),
    ("VP Product", "en", "title",
     graded((3, is_title("VP Product")), (2, is_title("Group Product Manager")),
            (1, is_title("Senior Product Manager")))),
    ("product manager", "en", "title", graded((3, PRODUCT_MANAGER))),
    ("chef de produit", "fr", "title", graded((3, PRODUCT_MANAGER))),
    ("software engineer", "en", "title", SOFTWARE),
    ("ingénieur logiciel", "fr", "title", SOFTWARE),
    ("développeur", "fr", "title", SOFTWARE),
    ("engineering manager", "en", "title",
     graded((3, is_title("Engineering Manager")), (1, is_title("Director of Engineering")))),
    ("designer", "en", "title",
     graded((3, is_title("Product Designer", "Senior Product Designer")),
            (2, is_title("Design Lead", "Head of Design")))),
    ("data scientist", "en", "title",
     graded((3, title_has(r"data scientist$")), (1, is_title("Data Analyst", "Head of Data")))),
    ("data analyst", "en", "title",
     graded((3, is_title("Data Analyst")), (1, title_has(r"data scientist$")))),
    ("HR", "en", "abbreviation", graded((3, PEOPLE))),
    ("ressources humaines", "fr", "field", graded((3, PEOPLE))),
    ("recruiter", "en", "title",
     graded((3, is_title("Talent Acquisition Lead")), (2, skill("recruiting")))),
    ("recruteur", "fr", "title",
     graded((3, is_title("Talent Acquisition Lead")), (2, skill("recruiting")))),
    ("legal counsel", "en", "title",
     graded((3, is_title("Legal Counsel", "Senior Legal Counsel")),
            (2, is_title("General Counsel", "Head of Legal")))),
    ("juriste", "fr", "title", graded((3, LEGAL))),
    ("responsable juridique", "fr", "title",
     graded((3, is_title("Head of Legal", "General Counsel")), (2, LEGAL))),
    ("GDPR", "en", "skill", graded((3, skill("GDPR")), (1, says(r"gdpr")))),
    ("RGPD", "fr", "abbreviation", graded((3, skill("GDPR")), (1, says(r"gdpr")))),
    ("CISO", "en", "abbreviation", graded((3, is_title("CISO")), (1, is_title("IT Manager")))),
    ("RSSI", "fr", "abbreviation", graded((3, is_title("CISO")), (1, is_title("IT Manager")))),
    ("CMO", "en", "abbreviation", graded((3, is_title("CMO")), (1, is_title("Head of Growth")))),
    ("directeur marketing", "fr", "title",
     graded((3, is_title("CMO")), (2, is_title("Head of Growth")),
            (1, is_title("Senior Marketing Manager", "Marketing Manager")))),
    ("account executive", "en", "title",
     graded((3, is_title("Account Executive", "Senior Account Executive")))),
    ("commercial", "fr", "title",
     graded((3, is_title("Account Executive", "Senior Account Executive",
                         "Sales Development Representative", "Sales Manager")),
            (2, SALES))),
    ("VP Sales", "en", "title",
     graded((3, is_title("VP Sales EMEA")), (1, is_title("Sales Manager")))),
    ("sales manager", "en", "title",
     graded((3, is_title("Sales Manager")), (1, is_title("VP Sales EMEA")))),
    ("Kubernetes", "en", "skill", graded((3, skill("Kubernetes")), (1, says(r"kubernetes")))),
    ("k8s", "en", "abbreviation", graded((3, skill("Kubernetes")), (1, says(r"kubernetes")))),
    ("kubernets", "en", "typo", graded((3, skill("Kubernetes")), (1, says(r"kubernetes")))),
    ("postgres", "en", "abbreviation", graded((3, skill("PostgreSQL")))),
    ("ML", "en", "abbreviation", graded((3, skill("machine learning")))),
    ("machine learning", "en", "skill", graded((3, skill("machine learning")))),
    ("salesforse", "en", "typo", graded((3, skill("Salesforce")))),
    ("finanical analyst", "en", "typo",
     graded((3, is_title("Financial Analyst", "Senior Financial Analyst")))),
    ("financial analyst", "en", "title",
     graded((3, is_title("Financial Analyst", "Senior Financial Analyst")))),
    ("contrôleur de gestion", "fr", "title", graded((3, is_title("Controller")))),
    ("supply chain", "en", "skill",
     graded((3, is_title("Supply Chain Lead")), (2, skill("supply chain")))),
    ("logistique", "fr", "skill", graded((3, skill("logistics")), (1, in_field("Operations")))),
    ("customer success manager", "en", "title",
     graded((3, title_has(r"customer success manager$")), (1, is_title("Head of Support")))),
    ("support client", "fr", "field",
     graded((3, is_title("Support Specialist", "Head of Support")),
            (2, in_field("Customer Success")))),
    ("sysadmin", "en", "abbreviation", graded((3, is_title("Systems Administrator")))),
    ("administrateur système", "fr", "title", graded((3, is_title("Systems Administrator")))),
    ("product designer Paris", "en", "multi-word",
     graded((3, both(title_has(r"product designer$"), city("Paris"))),
            (1, title_has(r"product designer$")))),
    ("software engineer London", "en", "multi-word",
     graded((3, both(is_title("Software Engineer", "Senior Software Engineer"), city("London"))),
            (1, is_title("Software Engineer", "Senior Software Engineer")))),
    ("Berlin", "en", "location", graded((3, city("Berlin")))),
    ("Léa Moreau", "fr", "name", graded((3, named("Léa Moreau")))),
    ("lea moreau", "fr", "name", graded((3, named("Léa Moreau")))),
    ("Rachel Collins", "en", "name", graded((3, named("Rachel Collins")))),
    ("Nguyen", "en", "name", graded((3, surname("Nguyen")))),
]

# -- reseau ------------------------------------------------------------------------------------
MENUISIER = graded((3, is_title("Menuisier", "Menuisière")),
                   (2, is_title("Apprenti menuisier", "Apprentie menuisière", "Ébéniste")))
PLOMBIER = graded((3, title_has(r"^(plombier|plombiere) chauffagiste$|^artisane? plombiere?$")),
                  (2, title_has(r"^apprentie? plombiere?$")))
BOULANGER = graded((3, title_has(r"^(artisane? )?boulangere?$")),
                   (2, title_has(r"^apprentie? boulangere?$")))
DEV_WEB = graded((3, title_has(r"^developpe(ur|use) (web|full-stack)$")),
                 (2, title_has(r"^developpe(ur|use) junior$")))
GRAPHISTE = graded((3, title_has(r"^graphiste")), (2, title_has(r"^direct(eur|rice) artistique")))
COMPTABLE = graded((3, is_title("Comptable", "Expert-comptable", "Experte-comptable")),
                   (2, is_title("Aide-comptable")))
INFIRMIER = graded((3, is_title("Infirmier", "Infirmière")),
                   (1, title_has(r"^aide-soignante?$|^cadre de sante$")))
PHOTO = graded((3, title_has(r"^photographe")), (2, title_has(r"^assistante? photographe$")))
TRADUCTEUR = graded((3, title_has(r"^tradu(cteur|ctrice)")), (2, is_title("Interprète")))
AVOCAT = graded((3, title_has(r"^avocate?( associee?)?$")), (1, is_title("Juriste")))
ELEC = graded((3, is_title("Électricien", "Électricienne")),
              (2, title_has(r"^chef(fe)? de chantier electricite$|^apprentie? electricienne?$")))
PE = title_has(r"^professeure? des ecoles$")
CUISINIER = graded((3, is_title("Cuisinier", "Cuisinière")),
                   (2, is_title("Commis de cuisine")), (1, title_has(r"^restaura")))

RESEAU: list[tuple[str, str, str, Rule]] = [
    ("menuisier", "fr", "title", MENUISIER),
    ("menusier", "fr", "typo", MENUISIER),
    ("menuisière", "fr", "title", MENUISIER),
    ("carpenter", "en", "title", MENUISIER),
    ("ébéniste", "fr", "title",
     graded((3, is_title("Ébéniste")), (1, skill("ébénisterie")))),
    ("plombier", "fr", "title", PLOMBIER),
    ("plombière", "fr", "title", PLOMBIER),
    ("plumber", "en", "title", PLOMBIER),
    ("chauffagiste", "fr", "title",
     graded((3, title_has(r"chauffagiste$")), (1, title_has(r"plombi")))),
    ("boulangère", "fr", "title", BOULANGER),
    ("bouangère", "fr", "typo", BOULANGER),
    ("boulanger Dijon", "fr", "multi-word",
     graded((3, both(title_has(r"boulang"), city("Dijon"))), (1, title_has(r"boulang")))),
    ("développeuse web", "fr", "title", DEV_WEB),
    ("web developer", "en", "title", DEV_WEB),
    ("dev", "fr", "abbreviation", graded((3, title_has(r"^developpe")))),
    ("développeur Lille", "fr", "multi-word",
     graded((3, both(title_has(r"^developpe"), city("Lille"))), (1, title_has(r"^developpe")))),
    ("graphiste", "fr", "title", GRAPHISTE),
    ("graphic designer", "en", "title", GRAPHISTE),
    ("directrice artistique", "fr", "title",
     graded((3, title_has(r"^direct(eur|rice) artistique")), (1, title_has(r"^graphiste")))),
    ("comptable", "fr", "title", COMPTABLE),
    ("comptabe", "fr", "typo", COMPTABLE),
    ("accountant", "en", "title", COMPTABLE),
    ("expert-comptable", "fr", "title",
     graded((3, is_title("Expert-comptable", "Experte-comptable")), (1, is_title("Comptable")))),
    ("infirmière", "fr", "title", INFIRMIER),
    ("nurse", "en", "title", INFIRMIER),
    ("aide soignante", "fr", "title", graded((3, title_has(r"^aide-soignante?$")))),
    ("professeur des écoles", "fr", "title", graded((3, PE))),
    ("instit", "fr", "abbreviation", graded((3, PE))),
    ("prof", "fr", "abbreviation", graded((3, PE), (1, title_has(r"^format(eur|rice)")))),
    ("teacher", "en", "title", graded((3, PE), (1, title_has(r"^format(eur|rice)")))),
    ("formatrice", "fr", "title",
     graded((3, title_has(r"^format(eur|rice) pour adultes")), (1, skill("formation d'adultes")))),
    ("FLE", "fr", "skill", graded((3, skill("FLE")))),
    ("maraîcher", "fr", "title",
     graded((3, is_title("Maraîcher", "Maraîchère")),
            (1, title_has(r"^agricult|^ouvriere? agricole")))),
    ("architecte", "fr", "title",
     graded((3, title_has(r"^architecte")), (1, title_has(r"^dessinat")))),
    ("architect", "en", "title",
     graded((3, title_has(r"^architecte")), (1, title_has(r"^dessinat")))),
    ("électricienne", "fr", "title", ELEC),
    ("electrician", "en", "title", ELEC),
    ("panneaux solaires", "fr", "skill",
     graded((3, skill("photovoltaïque")), (3, says(r"panneaux solaires")))),
    ("photographe", "fr", "title", PHOTO),
    ("photografe", "fr", "typo", PHOTO),
    ("photographer", "en", "title", PHOTO),
    ("traductrice", "fr", "title", TRADUCTEUR),
    ("translator", "en", "title", TRADUCTEUR),
    ("interprète", "fr", "title", graded((3, is_title("Interprète")),
                                         (1, skill("interprétariat")))),
    ("cuisinier", "fr", "title", CUISINIER),
    ("cook", "en", "title", CUISINIER),
    ("avocate", "fr", "title", AVOCAT),
    ("lawyer", "en", "title", AVOCAT),
    ("juriste", "fr", "title", graded((3, is_title("Juriste")), (1, title_has(r"^avocat")))),
    ("coach", "fr", "title", graded((3, title_has(r"^coach")),
                                    (1, title_has(r"^conseill(er|ere) en insertion")))),
    ("conseillère en insertion", "fr", "title",
     graded((3, title_has(r"^conseill(er|ere) en insertion")))),
    ("droit du travail", "fr", "skill", graded((3, skill("droit du travail")))),
    ("HACCP", "fr", "skill", graded((3, skill("hygiène HACCP")))),
    ("WordPress", "fr", "skill", graded((3, skill("WordPress")))),
    ("Margaux Lefèvre", "fr", "name", graded((3, named("Margaux Lefèvre")))),
    ("margaux lefevre", "fr", "name", graded((3, named("Margaux Lefèvre")))),
    ("Julien Perrin", "fr", "name", graded((3, named("Julien Perrin")))),
    ("Perrin", "fr", "name", graded((3, surname("Perrin")))),
    ("Dijon", "fr", "location", graded((3, city("Dijon")))),
    ("saint etienne", "fr", "location", graded((3, city("Saint-Étienne")))),
]

QUERIES = {"academia": ACADEMIA, "acme": ACME, "reseau": RESEAU}


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def render(docs_by_instance: dict[str, list[Doc]]) -> str:
    lines = [
        "# Graded relevance judgments over the demo communities (maillon demo, seed 7).",
        "# Written by bench/search/make_judgments.py from its rules (see there why each grade);",
        "# grades: 3 exactly what was asked, 2 clearly useful, 1 somewhat useful.",
        "# Members are named by e-mail address (ids change between databases).",
        "",
    ]
    for instance, queries in QUERIES.items():
        docs = docs_by_instance[instance]
        for text, language, kind, rule in queries:
            grades: dict[int, list[str]] = {3: [], 2: [], 1: []}
            for doc in docs:
                grade = rule(doc)
                if grade:
                    grades[grade].append(doc["email"])
            if not any(grades.values()):
                raise SystemExit(f"{instance}: {text!r} has no relevant member")
            lines += ["[[query]]", f"instance = {_quote(instance)}", f"text = {_quote(text)}",
                      f"language = {_quote(language)}", f"type = {_quote(kind)}"]
            for grade in (3, 2, 1):
                emails = sorted(grades[grade])
                if emails:
                    body = ",\n  ".join(_quote(e) for e in emails)
                    lines.append(f"grade{grade} = [\n  {body},\n]")
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", required=True, help="JSON written by relevance.py --dump")
    parser.add_argument("--out", default=str(HERE / "judgments.toml"))
    args = parser.parse_args()
    docs = json.loads(Path(args.docs).read_text(encoding="utf-8"))
    Path(args.out).write_text(render(docs), encoding="utf-8")
    count = sum(len(q) for q in QUERIES.values())
    print(f"{count} queries written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
