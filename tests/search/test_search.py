from collections.abc import Callable

import pytest

from search import QueryError, SearchIndex, SearchQuery

from .conftest import PROFILES


def ids(idx: SearchIndex, text: str = "", **kwargs: object) -> list[str]:
    return [h.id for h in idx.search(SearchQuery(text, **kwargs)).hits]  # type: ignore[arg-type]


def test_accents_are_folded_both_ways(index: SearchIndex) -> None:
    assert ids(index, "quebec") == ["zoe"]
    assert ids(index, "ecole") == ["zoe"]
    assert ids(index, "Montreal") == ["paul"]
    assert ids(index, "développement") == ids(index, "developpement") == ["paul"]


def test_gendered_titles_find_each_other(index: SearchIndex) -> None:
    assert ids(index, "développeur")[0] == "zoe"  # "Développeuse"; then John, a "Developer"
    assert ids(index, "développeuse") == ids(index, "développeur")
    assert ids(index, "chercheur") == ["marie"]
    assert ids(index, "directeur") == ["marie"]
    assert ids(index, "informaticien") == ["marie"]
    assert set(ids(index, "ingénieur")) == {"paul"}


def test_stemming_is_per_language(index: SearchIndex) -> None:
    assert "john" in ids(index, "leading")  # "led"? no: "leadership" skill is not prose
    assert ids(index, "compiler") == ["john"]


def test_prefix_search_uses_unstemmed_words(index: SearchIndex) -> None:
    assert set(ids(index, "dévelop*")) == {"zoe", "john", "paul"}
    assert ids(index, "développem*") == ["paul"]


def test_fields(index: SearchIndex) -> None:
    assert set(ids(index, "company:acme")) == {"zoe", "paul"}
    assert set(ids(index, "skill:python")) == {"zoe", "marie"}
    assert ids(index, "location:lyon") == ["john"]
    assert ids(index, "name:dubois") == ["marie"]
    assert ids(index, "title:directeur") == []
    assert ids(index, "title:chercheur") == ["marie"]
    assert ids(index, "headline:director") == ["john"]


def test_names_are_not_stemmed(index: SearchIndex) -> None:
    # "Ingénieur" as a surname is found by name: only, not turned into the job title stem.
    assert ids(index, "name:ingénieur") == ["paul"]
    assert ids(index, "name:ingé") == []  # a stem-like truncation is not a name
    assert index.search(SearchQuery("name:ingé")).total == 0


def test_french_and_english_terms_find_each_other(make_index: Callable[..., SearchIndex]) -> None:
    idx = make_index("syn", [
        {"id": "fr", "headline": "Ingénieure en apprentissage automatique", "language": "fr"},
        {"id": "en", "headline": "Machine learning engineer", "language": "en"},
        {"id": "hci", "headline": "Interaction humain-machine", "language": "fr"},
    ])
    assert set(ids(idx, "machine learning")) == {"fr", "en"}
    assert set(ids(idx, '"apprentissage automatique"')) == {"fr", "en"}
    assert set(ids(idx, "ingénieur")) == set(ids(idx, "engineer")) == {"fr", "en"}
    assert set(ids(idx, "machine")) == {"en", "hci"}  # one word alone is not the term
    result = idx.search(SearchQuery("engineer"))
    assert result.suggestion is None and not result.notices
    assert ids(idx, "developer") == []  # a synonym is never matched loosely (développe…)


def test_phrases_need_adjacent_words(index: SearchIndex) -> None:
    assert ids(index, '"machine learning"') == ["zoe"]
    assert set(ids(index, "machine learning")) == {"zoe", "john"}


def test_typos_are_tolerated_when_the_word_is_unknown(index: SearchIndex) -> None:
    assert set(ids(index, "pyhton")) == {"zoe", "marie"}
    assert ids(index, "name:duboit") == ["marie"]


def test_suggestion_for_unknown_word(index: SearchIndex) -> None:
    result = index.search(SearchQuery("physiqe"))
    assert result.suggestion == "physique"
    assert index.search(SearchQuery("python")).suggestion is None
    assert index.search(SearchQuery("physiqe:x")).suggestion is None  # a field name, not a word


def test_and_by_default_then_or_when_nothing_matches_all(index: SearchIndex) -> None:
    assert ids(index, "python rust") != []
    result = index.search(SearchQuery("python rust"))
    assert result.notices  # relaxed to OR, and says so
    assert ids(index, "python québec") == ["zoe"]


def test_not_and_or(index: SearchIndex) -> None:
    assert set(ids(index, "python -physique")) == {"zoe"}
    assert set(ids(index, "rust OR java")) == {"paul", "john"}


def test_name_and_skill_matches_rank_first(index: SearchIndex) -> None:
    assert ids(index, "python")[0] in {"zoe", "marie"}
    assert ids(index, "martin")[0] == "zoe"


def test_filters(index: SearchIndex) -> None:
    assert set(ids(index, organisation="acme")) == {"zoe", "paul"}
    assert set(ids(index, location="quebec")) == {"zoe"}
    assert set(ids(index, skill="PYTHON")) == {"zoe", "marie"}
    assert set(ids(index, open_to_opportunities=True)) == {"zoe", "paul"}
    assert set(ids(index, open_to_opportunities=False)) == {"john", "marie"}
    assert ids(index, "python", organisation="ACME") == ["zoe"]


def test_facets_count_matches_and_keep_original_casing(index: SearchIndex) -> None:
    facets = index.search(SearchQuery("")).facets
    assert dict(facets["organisation"]) == {"ACME": 2, "Globex": 1, "Institut Curie": 1}
    skills = dict(facets["skills"])
    assert skills["Python"] == 2 and "python" not in skills  # case variants merged
    assert dict(facets["open_to_opportunities"]) == {True: 2, False: 2}
    assert dict(index.search(SearchQuery("python")).facets["location"]) == {
        "Québec": 1,
        "Paris": 1,
    }
    assert index.search(SearchQuery("python", facets=False)).facets == {}


def test_allowed_ids_restrict_and_boosts_reorder(index: SearchIndex) -> None:
    assert set(ids(index, allowed_ids=frozenset({"zoe", "john", "ghost"}))) == {"zoe", "john"}
    assert ids(index, "python", allowed_ids=frozenset()) == []
    first = ids(index, "python")
    other = first[1]
    assert ids(index, "python", boosts={other: 10.0})[0] == other


def test_pagination(index: SearchIndex) -> None:
    everyone = ids(index, per_page=50)
    assert len(everyone) == len(PROFILES)
    pages = [ids(index, per_page=3, page=p) for p in (1, 2, 3)]
    assert pages[0] + pages[1] == everyone
    assert pages[2] == []
    assert index.search(SearchQuery("", per_page=3)).total == len(PROFILES)


def test_malformed_queries_are_repaired_or_refused_cleanly(index: SearchIndex) -> None:
    assert ids(index, '"machine learning') == ids(index, '"machine learning"') == ["zoe"]
    assert ids(index, "(python OR rust") != []
    unknown_field = index.search(SearchQuery("foo:python"))
    assert {h.id for h in unknown_field.hits} == {"zoe", "marie"}  # "foo" relaxed away
    assert any("foo" in notice for notice in unknown_field.notices)
    with pytest.raises(QueryError):
        index.search(SearchQuery("p*"))


def test_upsert_replaces_and_delete_removes(index: SearchIndex) -> None:
    assert index.upsert([dict(PROFILES[0], headline="Jardinière")]) == 1
    assert index.count() == len(PROFILES)
    assert ids(index, "python", organisation="acme") == ["zoe"]  # still in skills
    assert ids(index, "jardinier") == ["zoe"]
    # The English "Developer" (John) and, through search/data/synonyms.toml, Paul's
    # "Ingénieure logicielle" (a software engineer); Zoé's "Développeuse" is gone.
    assert set(ids(index, "développeur")) == {"john", "paul"}
    assert index.delete(["zoe", "nobody"]) == 1
    assert "zoe" not in index.ids()
    assert index.count() == len(PROFILES) - 1


def test_two_instances_never_see_each_other(make_index: Callable[..., SearchIndex]) -> None:
    a = make_index("a", [{"id": "1", "name": "Alice", "summary": "zanzibarite"}])
    b = make_index("b", [{"id": "1", "name": "Bob", "summary": "quokkaphile"}])
    assert ids(a, "quokkaphile") == [] and ids(a, "zanzibarite") == ["1"]
    assert ids(b, "zanzibarite") == [] and ids(b, "quokkaphile") == ["1"]
    assert a.search(SearchQuery("quokkaphile")).suggestion is None


def test_refresh_sees_writes_from_another_handle(make_index: Callable[..., SearchIndex]) -> None:
    writer = make_index("shared")
    reader = make_index("shared")
    writer.upsert(PROFILES)
    reader.refresh()
    assert reader.count() == len(PROFILES)
    writer.delete(["zoe"])
    reader.refresh()
    assert "zoe" not in reader.ids()


def test_suggestions_never_come_from_a_removed_profile(
    make_index: Callable[..., SearchIndex],
) -> None:
    idx = make_index("idx", [{"id": "1", "name": "Zénobie Quarterback", "headline": "Hidden"},
                             {"id": "2", "name": "Anne Martin", "headline": "Visible"}])
    idx.delete(["1"])
    assert idx.search(SearchQuery(text="quarterbak")).suggestion is None
