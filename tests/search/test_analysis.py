from search import analysis


def test_fold_removes_accents_and_ligatures() -> None:
    assert analysis.fold("école") == "ecole"
    assert analysis.fold("québec") == "quebec"
    assert analysis.fold("cœur") == "coeur"


def test_feminine_job_titles_map_to_masculine() -> None:
    pairs = {
        "développeuse": "développeur",
        "directrice": "directeur",
        "chercheuse": "chercheur",
        "ingénieure": "ingénieur",
        "informaticienne": "informaticien",
        "infirmière": "infirmier",
        "consultante": "consultant",
        "développeuses": "développeurs",
    }
    for feminine, masculine in pairs.items():
        assert analysis.masculine(feminine) == masculine


def test_adjectives_in_euse_are_left_alone() -> None:
    assert analysis.masculine("rigoureuse") == "rigoureuse"
    assert analysis.masculine("curieuse") == "curieuse"


def test_both_genders_share_a_stem() -> None:
    for a, b in [
        ("développeur", "développeuse"),
        ("directeur", "directrice"),
        ("chercheur", "chercheuse"),
        ("informaticien", "informaticienne"),
    ]:
        assert analysis.stem(a, "fr") == analysis.stem(b, "fr")


def test_stem_before_fold() -> None:
    # The French stemmer needs the accents; the result is folded.
    assert analysis.stem("développement", "fr") == "developp"
    assert analysis.stem("learning", "en") == "learn"


def test_words_keep_programming_language_names() -> None:
    assert analysis.words("C++, C# et Node.js") == ["c++", "c#", "et", "node.js"]


def test_stop_words_and_elisions_are_dropped_from_prose() -> None:
    assert analysis.content_words("l'école de la rue") == ["école", "rue"]


def test_names_are_folded_not_stemmed() -> None:
    assert analysis.keyword_terms("Gaëlle Lefèvre-Dupont") == ["gaelle", "lefevre", "dupont"]
    assert analysis.keyword_terms("Dubois") == ["dubois"]


def test_bigrams_join_neighbours() -> None:
    assert list(analysis.bigrams(["machin", "learn", "team"])) == ["machin|learn", "learn|team"]
