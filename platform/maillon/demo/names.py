"""People's names for the demo, grouped by origin so that first and last names match."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class NameGroup:
    origin: str
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]


FRENCH = NameGroup(
    "fr",
    female=("Camille", "Léa", "Manon", "Chloé", "Sarah", "Julie", "Claire", "Élodie", "Amélie",
            "Pauline", "Inès", "Mathilde", "Anaïs", "Lucie", "Margaux", "Hélène", "Sophie",
            "Nathalie", "Isabelle", "Céline", "Aurélie", "Émilie", "Justine", "Marion",
            "Charlotte", "Océane", "Laure", "Agnès", "Brigitte", "Sylvie", "Valérie", "Juliette",
            "Louise", "Zoé", "Maëlle", "Noémie", "Solène", "Gaëlle", "Estelle", "Bérénice"),
    male=("Thomas", "Nicolas", "Julien", "Antoine", "Maxime", "Alexandre", "Hugo", "Lucas",
          "Baptiste", "Romain", "Guillaume", "Pierre", "Vincent", "Mathieu", "Sébastien",
          "François", "Olivier", "Laurent", "Philippe", "Jérôme", "Benoît", "Arnaud", "Damien",
          "Cédric", "Yann", "Gaël", "Loïc", "Adrien", "Quentin", "Théo", "Étienne", "Raphaël",
          "Bastien", "Clément", "Florian", "Jean-Marc", "Jean-Pierre", "Hervé", "Didier", "Rémi"),
    last=("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
          "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
          "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
          "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
          "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
          "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier",
          "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire",
          "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas",
          "Meunier", "Jean", "Perez", "Marchand", "Dufour", "Blanchard", "Marie", "Barbier",
          "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Fernandez", "Le Gall",
          "Kerbrat", "Le Goff", "Picard", "Aubert", "Carpentier", "Vasseur", "Bouvier"),
)

INTERNATIONAL: tuple[NameGroup, ...] = (
    NameGroup("en", ("Emily", "Olivia", "Hannah", "Grace", "Sophie", "Rachel", "Megan",
                     "Jessica", "Laura", "Kate"),
              ("James", "Oliver", "Daniel", "Matthew", "Samuel", "Henry", "George", "Michael",
               "Ryan", "David"),
              ("Smith", "Johnson", "Williams", "Brown", "Taylor", "Wilson", "Evans", "Walker",
               "Wright", "Hughes", "Clarke", "Turner", "Parker", "Collins", "Murphy", "O'Brien")),
    NameGroup("de", ("Anna", "Lena", "Katharina", "Julia", "Miriam", "Sabine"),
              ("Jonas", "Lukas", "Felix", "Tobias", "Stefan", "Matthias"),
              ("Müller", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann",
               "Schäfer", "Koch", "Richter")),
    NameGroup("es", ("Lucía", "María", "Carmen", "Elena", "Paula", "Marta"),
              ("Javier", "Carlos", "Diego", "Pablo", "Alejandro", "Miguel"),
              ("García", "Rodríguez", "Fernández", "López", "Martínez", "Gómez", "Ruiz",
               "Navarro", "Ortega", "Castillo")),
    NameGroup("it", ("Giulia", "Francesca", "Chiara", "Alessia", "Martina", "Sara"),
              ("Marco", "Luca", "Matteo", "Davide", "Giovanni", "Andrea"),
              ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
               "Ricci", "Marino", "Greco")),
    NameGroup("pt", ("Ana", "Beatriz", "Mariana", "Inês", "Larissa"),
              ("João", "Pedro", "Tiago", "Rafael", "Gustavo"),
              ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida",
               "Carvalho")),
    NameGroup("maghreb", ("Yasmine", "Leïla", "Samira", "Nadia", "Amira", "Salma"),
              ("Karim", "Mehdi", "Youssef", "Rachid", "Samir", "Nabil"),
              ("Benali", "Haddad", "Mansouri", "Belkacem", "Cherif", "Bouzid", "Amrani",
               "Saïdi", "Meziane", "Ziani")),
    NameGroup("west-africa", ("Aïssatou", "Fatoumata", "Awa", "Mariama", "Adjoa"),
              ("Moussa", "Ibrahima", "Mamadou", "Kofi", "Abdoulaye"),
              ("Diallo", "Traoré", "Ndiaye", "Diop", "Koné", "Mensah", "Sow", "Camara")),
    NameGroup("zh", ("Mei", "Xiaoling", "Yan", "Jing", "Li Na"),
              ("Wei", "Jun", "Hao", "Lei", "Zhiwei"),
              ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang")),
    NameGroup("ja", ("Yuki", "Aiko", "Haruka", "Sakura"),
              ("Takeshi", "Kenji", "Hiroshi", "Daisuke"),
              ("Tanaka", "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura")),
    NameGroup("in", ("Priya", "Ananya", "Kavya", "Deepa", "Meera"),
              ("Arjun", "Rahul", "Vikram", "Rohan", "Sanjay"),
              ("Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair", "Menon", "Rao")),
    NameGroup("pl", ("Agnieszka", "Katarzyna", "Magdalena", "Zofia"),
              ("Piotr", "Tomasz", "Krzysztof", "Michał"),
              ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski")),
    NameGroup("vi", ("Linh", "Thu", "Lan", "Mai"),
              ("Minh", "Duc", "Quang", "Tuan"),
              ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu")),
    NameGroup("nl", ("Sanne", "Femke", "Lotte", "Eva"),
              ("Daan", "Bram", "Sander", "Joost"),
              ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser")),
)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    female: bool
    origin: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def pick_person(rng: random.Random, french_share: float) -> Person:
    """A person: French with the given probability, else of another origin."""
    # rng.random() rather than rng.choice(): several times faster, and bulk demos make many.
    group = (FRENCH if rng.random() < french_share
             else INTERNATIONAL[int(rng.random() * len(INTERNATIONAL))])
    female = rng.random() < 0.5
    firsts = group.female if female else group.male
    first = firsts[int(rng.random() * len(firsts))]
    return Person(first, group.last[int(rng.random() * len(group.last))], female, group.origin)


def email_local_part(first: str, last: str) -> str:
    """``prénom.nom`` without accents, spaces or apostrophes, as mail systems make them."""
    text = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ł", "l").replace("ø", "o")
    return re.sub(r"[^a-z0-9.-]+", "", text.replace(" ", "-"))
