"""Ranking, from the outside: fixed expected orders that only the ranking rule produces.

Each index is written in the order opposite to the expected ranking, and ties are broken by
index order: a rule that stopped scoring (a constant instead of BM25, a bonus of zero) would
give the insertion order back, or put the other document first.  Every test runs on both
backends.
"""

from __future__ import annotations

from collections.abc import Callable

from search import SearchIndex, SearchQuery


def ranked(idx: SearchIndex, text: str) -> list[str]:
    return [h.id for h in idx.search(SearchQuery(text)).hits]


def test_more_occurrences_rank_higher_at_equal_length(
    make_index: Callable[..., SearchIndex],
) -> None:
    # Four words each; "kayak" once, twice, three times.
    idx = make_index("tf", [
        {"id": "once", "summary": "kayak river guide mountain", "language": "en"},
        {"id": "twice", "summary": "kayak kayak river guide", "language": "en"},
        {"id": "thrice", "summary": "kayak kayak kayak guide", "language": "en"},
    ])

    assert ranked(idx, "kayak") == ["thrice", "twice", "once"]


def test_shorter_profiles_rank_higher_at_equal_occurrences(
    make_index: Callable[..., SearchIndex],
) -> None:
    # "kayak" once in each; the profiles have 8, 4 and 2 words.
    idx = make_index("length", [
        {"id": "long", "summary": "kayak river guide mountain lake forest trail canoe",
         "language": "en"},
        {"id": "medium", "summary": "kayak river guide mountain", "language": "en"},
        {"id": "short", "summary": "kayak river", "language": "en"},
    ])

    assert ranked(idx, "kayak") == ["short", "medium", "long"]


def test_a_rare_word_weighs_more_than_a_common_one(
    make_index: Callable[..., SearchIndex],
) -> None:
    # Both match "kayak guide" with three words; "guide" is in every profile, "kayak" in two.
    idx = make_index("idf", [
        {"id": "common", "summary": "kayak guide guide", "language": "en"},
        {"id": "rare", "summary": "kayak kayak guide", "language": "en"},
        {"id": "other1", "summary": "guide lake forest", "language": "en"},
        {"id": "other2", "summary": "guide trail canoe", "language": "en"},
    ])

    assert ranked(idx, "kayak guide") == ["rare", "common"]


def test_a_word_in_the_name_outranks_the_same_word_twice_in_prose(
    make_index: Callable[..., SearchIndex],
) -> None:
    # Without the name bonus, "prose" wins on BM25 (two occurrences, fewer words).
    idx = make_index("name", [
        {"id": "named", "name": "Jo Kayak", "summary": "guide river", "language": "en"},
        {"id": "prose", "summary": "kayak kayak guide", "language": "en"},
    ])

    assert ranked(idx, "kayak") == ["named", "prose"]


def test_a_listed_skill_outranks_the_same_word_twice_in_prose(
    make_index: Callable[..., SearchIndex],
) -> None:
    # Without the skill bonus, "prose" wins on BM25 (two occurrences, same length).
    idx = make_index("skill", [
        {"id": "skilled", "skills": ["Kayak"], "summary": "guide river", "language": "en"},
        {"id": "prose", "summary": "kayak kayak guide", "language": "en"},
    ])

    assert ranked(idx, "kayak") == ["skilled", "prose"]


def test_the_name_bonus_is_worth_more_than_the_skill_bonus(
    make_index: Callable[..., SearchIndex],
) -> None:
    # The same word once, in profiles of three words: the name (x1.0) before the skill (x0.5)
    # before plain prose.
    idx = make_index("bonuses", [
        {"id": "prose", "summary": "kayak guide river", "language": "en"},
        {"id": "skilled", "skills": ["Kayak"], "summary": "guide river", "language": "en"},
        {"id": "named", "name": "Kayak", "summary": "guide river", "language": "en"},
    ])

    assert ranked(idx, "kayak") == ["named", "skilled", "prose"]
