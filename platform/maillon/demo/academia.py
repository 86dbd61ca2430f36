"""Academia: a French research community (fictional labs and universities, real disciplines)."""

from __future__ import annotations

from maillon.demo.catalogue import Community, Org, Persona, School, Track

LADDER = (
    ("Doctorant", "Doctorante"),
    ("Post-doctorant", "Post-doctorante"),
    ("Ingénieur de recherche", "Ingénieure de recherche"),
    ("Chargé de recherche", "Chargée de recherche"),
    ("Maître de conférences", "Maîtresse de conférences"),
    ("Professeur des universités", "Professeure des universités"),
    ("Directeur de recherche", "Directrice de recherche"),
)

LISC = Org("LISC – Laboratoire d'informatique des systèmes complexes", "Lyon", "lisc.example.fr")
INRN = Org("INRN – Institut national de recherche en numérique, centre de Rennes", "Rennes",
           "inrn.example.fr")
LAMA = Org("LAMA – Laboratoire de mathématiques appliquées", "Toulouse", "lama.example.fr")
IBIO = Org("IBV – Institut de biologie du vivant", "Montpellier", "ibv.example.fr")
LCE = Org("LCE – Laboratoire climat et environnement", "Grenoble", "lce.example.fr")
IPQ = Org("IPQ – Institut de physique quantique", "Paris", "ipq.example.fr")
CRSS = Org("CRSS – Centre de recherche en sciences sociales", "Paris", "crss.example.fr")
LLD = Org("LLD – Laboratoire de linguistique et de didactique", "Strasbourg", "lld.example.fr")
IHM = Org("Équipe Interaction, INRN Saclay", "Saclay", "inrn.example.fr")
NEURO = Org("CNC – Centre de neurosciences cognitives", "Bordeaux", "cnc.example.fr")
MAT = Org("LMF – Laboratoire des matériaux fonctionnels", "Nancy", "lmf.example.fr")
HIST = Org("CHM – Centre d'histoire moderne", "Aix-en-Provence", "chm.example.fr")
ECO = Org("GREDE – Groupe de recherche en économie du développement", "Clermont-Ferrand",
          "grede.example.fr")
ASTRO = Org("OSL – Observatoire des sciences de l'univers de Lumière", "Nice", "osl.example.fr")
U_RHONE = Org("Université Lumière Rhône", "Lyon", "univ-lumiere.example.fr")
U_GARONNE = Org("Université de Garonne", "Toulouse", "univ-garonne.example.fr")
U_RIVE = Org("Université Paris Rive Gauche", "Paris", "u-rivegauche.example.fr")
U_ALPES = Org("Université des Alpes du Nord", "Grenoble", "univ-alpesnord.example.fr")
U_NORTH = Org("University of Northbridge", "Northbridge, Royaume-Uni", "northbridge.example.ac.uk")
TU_RHEIN = Org("Technische Universität Rheinfeld", "Rheinfeld, Allemagne", "tu-rheinfeld.example")
U_MAR = Org("Universidad del Mar Cantábrico", "Santander, Espagne", "umc.example.es")
POLI = Org("Politecnico di Lagomaggiore", "Milan, Italie", "polilago.example.it")
U_KOYO = Org("Kōyō University", "Kyoto, Japon", "koyo-u.example.jp")
U_MCA = Org("McAllister University", "Montréal, Canada", "mcallister.example.ca")

TRACKS = (
    Track("apprentissage automatique", LADDER,
          ("apprentissage automatique", "apprentissage profond", "PyTorch", "statistiques",
           "optimisation", "traitement du langage", "vision par ordinateur", "Python"),
          ("la robustesse des réseaux de neurones", "l'apprentissage frugal",
           "les modèles de langue pour le français", "l'équité des algorithmes"),
          (LISC, INRN, U_RHONE, U_NORTH, U_MCA), weight=4),
    Track("mathématiques appliquées", LADDER,
          ("probabilités", "analyse numérique", "EDP", "calcul scientifique", "Julia",
           "statistique bayésienne", "optimisation convexe"),
          ("les équations aux dérivées partielles stochastiques", "les méthodes de Monte-Carlo",
           "le transport optimal"),
          (LAMA, U_GARONNE, TU_RHEIN, U_MAR), weight=2),
    Track("biologie computationnelle", LADDER,
          ("bio-informatique", "génomique", "R", "Python", "séquençage", "phylogénie",
           "biologie des systèmes"),
          ("l'évolution des génomes bactériens", "la régulation génique",
           "l'analyse de données single-cell"),
          (IBIO, U_GARONNE, U_KOYO), weight=3),
    Track("sciences du climat", LADDER,
          ("modélisation du climat", "Fortran", "télédétection", "hydrologie", "Python",
           "analyse de séries temporelles"),
          ("les glaciers alpins", "les extrêmes de précipitations", "le cycle du carbone"),
          (LCE, U_ALPES, U_MCA), weight=2),
    Track("physique quantique", LADDER,
          ("optique quantique", "information quantique", "cryogénie", "simulation numérique",
           "Qiskit", "instrumentation"),
          ("les qubits supraconducteurs", "l'intrication à longue distance",
           "la métrologie quantique"),
          (IPQ, U_RIVE, TU_RHEIN, POLI), weight=2),
    Track("sociologie", LADDER,
          ("enquête qualitative", "entretiens", "analyse de réseaux sociaux", "R",
           "méthodes mixtes", "sociologie du travail"),
          ("les trajectoires professionnelles des jeunes docteurs", "le travail de plateforme",
           "les mobilités résidentielles"),
          (CRSS, U_RIVE, U_MAR), weight=2),
    Track("linguistique", LADDER,
          ("linguistique de corpus", "phonétique", "TAL", "didactique du FLE", "Praat",
           "annotation"),
          ("la variation du français parlé", "l'acquisition des langues secondes",
           "les langues régionales"),
          (LLD, U_RHONE, U_NORTH), weight=1),
    Track("interaction humain-machine", LADDER,
          ("IHM", "conception centrée utilisateur", "prototypage", "études utilisateurs",
           "accessibilité", "visualisation de données"),
          ("la visualisation interactive", "l'accessibilité numérique", "les interfaces tangibles"),
          (IHM, INRN, U_MCA), weight=2),
    Track("neurosciences cognitives", LADDER,
          ("IRMf", "EEG", "psychophysique", "MATLAB", "statistiques", "modélisation cognitive"),
          ("la mémoire de travail", "la perception du temps", "le sommeil et l'apprentissage"),
          (NEURO, U_GARONNE, U_KOYO), weight=2),
    Track("science des matériaux", LADDER,
          ("diffraction X", "microscopie électronique", "synthèse", "DFT", "caractérisation"),
          ("les matériaux pour batteries", "les céramiques fonctionnelles",
           "les polymères biosourcés"),
          (MAT, U_ALPES, TU_RHEIN), weight=1),
    Track("histoire moderne", LADDER,
          ("paléographie", "archives", "humanités numériques", "histoire sociale", "TEI"),
          ("les ports méditerranéens au XVIIIe siècle", "les réseaux marchands",
           "l'histoire des savoirs"),
          (HIST, U_RIVE, U_MAR), weight=1),
    Track("économie du développement", LADDER,
          ("économétrie", "évaluation d'impact", "Stata", "enquêtes de terrain", "microfinance"),
          ("l'accès au crédit en milieu rural", "les transferts monétaires",
           "l'économie informelle"),
          (ECO, U_GARONNE, U_NORTH), weight=1),
    Track("astrophysique", LADDER,
          ("cosmologie", "spectroscopie", "Python", "traitement d'images",
           "calcul haute performance"),
          ("les exoplanètes", "la formation des galaxies", "les ondes gravitationnelles"),
          (ASTRO, U_RHONE, U_KOYO), weight=1),
)

SCHOOLS = (
    School("Université Lumière Rhône", (("Master", "Informatique"), ("Doctorat", "Informatique"),
                                        ("Licence", "Mathématiques"))),
    School("Université de Garonne", (("Master", "Biologie"), ("Doctorat", "Biologie"),
                                     ("Master", "Économie"))),
    School("Université Paris Rive Gauche", (("Master", "Physique"), ("Doctorat", "Sociologie"),
                                            ("Master", "Histoire"))),
    School("École normale supérieure de la Loire", (("Diplôme de l'ENS", "Mathématiques"),
                                                     ("Agrégation", "Physique"))),
    School("École polytechnique du Sud", (("Diplôme d'ingénieur", "Sciences de l'ingénieur"),)),
    School("Université des Alpes du Nord", (("Master", "Sciences de la Terre"),
                                            ("Doctorat", "Climatologie"))),
    School("University of Northbridge", (("MSc", "Computer Science"), ("PhD", "Linguistics"))),
    School("Technische Universität Rheinfeld", (("Master", "Physik"), ("Promotion",
                                                                         "Materialwissenschaft"))),
    School("Universidad del Mar Cantábrico", (("Máster", "Oceanografía"),)),
    School("Kōyō University", (("Master", "Neuroscience"),)),
)

COMMUNITY = Community(
    slug="academia",
    size=320,
    french_share=0.65,
    locales=(("fr", 6), ("en", 3), (None, 1)),
    tracks=TRACKS,
    schools=SCHOOLS,
    past_orgs=(U_RHONE, U_GARONNE, U_RIVE, U_NORTH, TU_RHEIN, U_MCA, INRN, POLI),
    cities=("Lyon", "Paris", "Toulouse", "Grenoble", "Rennes", "Montpellier", "Bordeaux",
            "Strasbourg", "Nancy", "Nice", "Saclay"),
    headline="{title} en {field} · {org}",
    summaries=(
        "Je travaille sur {topic} et, plus largement, en {field}. Mes travaux récents portent "
        "aussi sur {topic2}.",
        "Chercheuse ou chercheur en {field} depuis {years} ans, je m'intéresse à {topic}. "
        "Toujours partant·e pour une collaboration interdisciplinaire.",
        "Mes recherches en {field} portent sur {topic}. J'encadre des stages de master et "
        "participe à des projets européens.",
        "Après un parcours entre {city} et l'étranger, je consacre mes recherches à {topic}.",
    ),
    descriptions=(
        "Recherche sur {topic}.",
        "Projet financé par l'ANR sur {topic} ; publications et encadrement.",
        "Travaux sur {topic}, enseignement en licence et master.",
        "Collaboration internationale sur {topic}.",
    ),
    offers=(
        "Relecture d'articles et de demandes de financement.",
        "Co-encadrement de thèses et de stages de master.",
        "Accès à notre plateforme expérimentale et aide à la prise en main.",
        "Conseils sur la candidature aux postes de maître de conférences.",
        "Des jeux de données annotés et le code qui va avec.",
        "Une présentation de nos travaux dans votre séminaire.",
    ),
    seeks=(
        "Un post-doc pour la rentrée prochaine.",
        "Des partenaires pour un projet européen.",
        "Des collègues en statistiques pour une collaboration.",
        "Un terrain d'enquête et des contacts sur place.",
        "Des relecteurs pour un numéro spécial.",
        "Un poste de maître de conférences.",
        "Des données pour valider nos modèles.",
    ),
    personas=(
        Persona("admin@academia.example", "Hélène", "Marchand", True, "admin", 0, 6, 0,
                "J'anime le réseau Academia au nom du comité de pilotage."),
        Persona("moderateur@academia.example", "Mathieu", "Roussel", False, "moderator", 5, 4, 0,
                "Modérateur bénévole d'Academia : écrivez-moi en cas de souci."),
        Persona("claire.dubois@univ-lumiere.example.fr", "Claire", "Dubois", True, "member",
                0, 0, 2, "Doctorante en deuxième année : je cherche un post-doc en Europe."),
        Persona("kenji.tanaka@koyo-u.example.jp", "Kenji", "Tanaka", False, "member",
                2, 5, 2, "Professeur invité, je cherche des partenaires en France."),
    ),
)
