"""Relevance rules, from the outside: query coverage, title matches, synonyms, typos,
suggestions and group counts.

Each index is written in the order opposite to the expected ranking, and ties are broken by
index order: a rule that stopped working gives the insertion order back or puts the other
document first. Every test runs on both backends (the ``backend`` fixture), which must rank
identically. The figures on the demo communities come from bench/search/relevance.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from search import SearchIndex, SearchQuery, analysis

FILLER = [{"id": f"filler{i}", "headline": f"Gardener number {i}", "summary": "river product",
           "language": "en"} for i in range(6)]


def ranked(idx: SearchIndex, text: str, **kwargs: Any) -> list[str]:
    return [h.id for h in idx.search(SearchQuery(text, **kwargs)).hits]


def test_covering_more_of_the_query_ranks_first(make_index: Callable[..., SearchIndex]) -> None:
    # Nobody has all three words. "kayak" is rare and thrice in "one"; "river" is everywhere.
    idx = make_index("coverage", [
        {"id": "one", "summary": "kayak kayak kayak", "language": "en"},
        {"id": "two", "summary": "kayak river", "language": "en"},
        *FILLER,
    ])
    result = idx.search(SearchQuery("kayak river canyon"))
    assert [h.id for h in result.hits][:2] == ["two", "one"]
    assert "No profile matched every word; showing partial matches." in result.notices


def test_a_qualifier_alone_covers_half_a_word(make_index: Callable[..., SearchIndex]) -> None:
    # "VP" is rarer than "product", but it only says how senior a title is.
    idx = make_index("qualifier", [
        {"id": "vp-sales", "headline": "VP Sales", "language": "en"},
        {"id": "pm", "headline": "Product Manager", "language": "en"},
        *FILLER,
    ])
    assert ranked(idx, "VP Product")[0] == "pm"


def test_a_word_of_the_title_counts_more_than_one_of_the_summary(
    make_index: Callable[..., SearchIndex],
) -> None:
    # Same length, "botanist" once in each: only where it is written differs.
    idx = make_index("title", [
        {"id": "summary", "headline": "Gardener", "summary": "former botanist", "language": "en"},
        {"id": "headline", "headline": "Botanist", "summary": "former gardener", "language": "en"},
    ])
    assert ranked(idx, "botanist") == ["headline", "summary"]


def test_words_typed_together_rank_first_when_found_together(
    make_index: Callable[..., SearchIndex],
) -> None:
    idx = make_index("phrase", [
        {"id": "scattered", "summary": "officer for the financial chief", "language": "en"},
        {"id": "together", "summary": "chief financial officer here", "language": "en"},
    ])
    assert ranked(idx, "chief financial officer") == ["together", "scattered"]


SYNONYM_DOCS: list[dict[str, Any]] = [
    {"id": "cfo-fr", "headline": "Directrice financière", "language": "fr"},
    {"id": "cfo-en", "headline": "Chief Financial Officer", "language": "en"},
    {"id": "analyst", "headline": "Financial analyst", "summary": "Reports to the chief "
     "executive", "language": "en"},
    {"id": "postdoc", "headline": "Post-doctorante en physique", "language": "fr"},
    {"id": "tal", "headline": "Maître de conférences", "skills": ["TAL"], "language": "fr"},
    {"id": "lab", "headline": "Directeur de laboratoire", "language": "fr"},
    {"id": "sales", "headline": "Sales Development Representative", "language": "en"},
]


@pytest.mark.parametrize(("query", "expected"), [
    ("CFO", {"cfo-fr", "cfo-en"}),
    ("chief financial officer", {"cfo-fr", "cfo-en"}),  # not the analyst's partial match
    ("directeur financier", {"cfo-fr", "cfo-en"}),
    ("postdoc", {"postdoc"}),
    ("physicienne", {"postdoc"}),
    ("NLP", {"tal"}),
    ("natural language processing", {"tal"}),
    ("MCF", {"tal"}),
    ("head of lab", {"lab"}),
    ("labo", {"lab"}),
    ("dev", set()),  # its synonym "developer" is matched as written, not as "development"
])
def test_synonyms_of_the_data_file(
    make_index: Callable[..., SearchIndex], query: str, expected: set[str]
) -> None:
    idx = make_index("syn", SYNONYM_DOCS)
    result = idx.search(SearchQuery(query))
    assert set(ranked(idx, query)) == expected
    assert not result.notices and result.suggestion is None


def test_the_typed_spelling_is_never_outweighed_by_a_longer_synonym(
    make_index: Callable[..., SearchIndex],
) -> None:
    # "CFO" in one headline, the three words of "chief financial officer" in another, each
    # word as rare as "cfo": counted as one typed word, the spelled-out title does not win.
    idx = make_index("scaled", [
        {"id": "spelled", "headline": "Chief Financial Officer", "language": "en"},
        {"id": "typed", "headline": "CFO", "language": "en"},
        *FILLER,
    ])
    assert ranked(idx, "CFO")[0] == "typed"


def test_the_synonyms_file_format(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.toml"
    path.write_text('[qualifiers]\nwords = ["Senior"]\n\n'
                    '[[group]]\nterms = ["CFO", "Directrices financières"]\n', encoding="utf-8")
    thesaurus = analysis.Thesaurus.load(path)
    assert thesaurus.synonyms(["cfo"]) == (("directrices", "financières"),)
    assert thesaurus.synonyms(["directeur", "financier"]) == (("cfo",),)  # gender, plural
    assert thesaurus.is_qualifier("senior") and not thesaurus.is_qualifier("cfo")
    path.write_text('[[group]]\nterms = ["alone"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="two terms"):
        analysis.Thesaurus.load(path)


def test_the_shipped_synonyms_include_the_old_in_code_groups() -> None:
    for a, b in (("machine learning", "apprentissage automatique"),
                 ("engineer", "ingénieur"), ("developer", "développeur"),
                 ("natural language processing", "traitement automatique des langues")):
        assert tuple(analysis.content_words(b)) in analysis.synonyms(analysis.words(a))


def test_a_typo_means_the_closest_known_word(make_index: Callable[..., SearchIndex]) -> None:
    # "meunier" (two edits from "menusier", and rare, so heavily weighted) comes first in the
    # index; the menuisiers are one edit away.
    idx = make_index("typo", [
        {"id": "baker", "name": "Élodie Meunier", "headline": "Photographe", "language": "fr"},
        {"id": "m1", "name": "Hervé Aubert", "headline": "Menuisier", "language": "fr"},
        {"id": "m2", "name": "Inès André", "headline": "Menuisière", "language": "fr"},
        {"id": "m3", "name": "Jean Roy", "headline": "Menuisier ébéniste", "language": "fr"},
    ])
    result = idx.search(SearchQuery("menusier"))
    assert {h.id for h in result.hits[:3]} == {"m1", "m2", "m3"}
    assert result.suggestion == "menuisier"


def test_suggestions_only_for_unknown_words_and_only_when_better(
    make_index: Callable[..., SearchIndex],
) -> None:
    idx = make_index("suggest", [
        {"id": "da", "name": "Hélène Marchand", "headline": "Directrice artistique",
         "language": "fr"},
        {"id": "v", "headline": "Vente directe", "summary": "office", "language": "fr"},
        {"id": "w", "headline": "Office manager", "summary": "directe", "language": "en"},
    ])
    # Every word known: exact hits, no "did you mean" (not "directe artistique").
    assert idx.search(SearchQuery("directrice artistique")).suggestion is None
    assert idx.search(SearchQuery("HELENE marchand")).suggestion is None
    # An unknown word: the closest indexed one, in the typed case.
    assert idx.search(SearchQuery("Hélène Marchnd")).suggestion == "Hélène Marchand"
    assert idx.search(SearchQuery("HELENE MARCHND")).suggestion == "HELENE MARCHAND"
    # A correction that would find nobody with every word is not offered.
    assert idx.search(SearchQuery("marchnd office")).suggestion is None


def test_group_counts_are_what_filtering_on_the_group_finds(
    make_index: Callable[..., SearchIndex],
) -> None:
    idx = make_index("groups", [
        {"id": str(i), "headline": "Géomètre" if i % 2 else "Paysagiste", "language": "fr"}
        for i in range(12)])
    groups = {"near": {"1", "2", "3"}, "far": {"4", "5", "6", "7", "8", "9"}}
    for allowed in (None, frozenset(groups["near"])):
        result = idx.search(SearchQuery("géomètre", group_ids=groups, allowed_ids=allowed))
        for name, ids in groups.items():
            clicked = idx.search(SearchQuery("géomètre", allowed_ids=frozenset(ids)))
            assert result.group_counts[name] == clicked.total
    assert idx.search(SearchQuery("géomètre", allowed_ids=frozenset(groups["near"]))).total == 2
