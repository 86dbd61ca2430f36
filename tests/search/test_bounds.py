"""Hostile queries cost bounded work: typo and prefix expansion stay under their caps, and a
query degrades (fewer loose matches, a notice) instead of taking seconds or failing."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from typing import Any

import pytest

from search import QueryError, SearchIndex, SearchQuery, SearchResult, budget, open_index
from search.budget import Budget
from search.evaluate import FUZZY_WEIGHT, PREFIX_WEIGHT, Evaluator, run
from search.query import parse
from search.segments import SegmentData

PREFIXES = [a + b for a in "bcdfg" for b in "aeiou"][:12]


def _vocabulary() -> dict[str, list[str]]:
    """Per two-letter prefix, 100 distinct words: every prefix names more than its cap."""
    rng = random.Random(7)
    words: dict[str, list[str]] = {}
    for prefix in PREFIXES:
        found: set[str] = set()
        while len(found) < 100:
            found.add(prefix + "".join(rng.choice("klmnprst") for _ in range(6)))
        words[prefix] = sorted(found)
    return words


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    vocabulary = _vocabulary()
    rng = random.Random(11)
    every = [w for ws in vocabulary.values() for w in ws]
    docs = [{"id": f"d{n}", "name": f"Person {n}", "location": "Lille" if n % 3 else "Lyon",
             "summary": " ".join(rng.sample(every, 40))} for n in range(300)]
    idx = open_index(tmp_path_factory.mktemp("hostile") / "idx")
    idx.rebuild(docs)
    yield idx
    idx.close()


class Spy:
    """Counts the dictionary walks and the expanded terms a query really used."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.within: list[str] = []
        self.prefixes: list[str] = []
        self.expanded: set[tuple[str, str]] = set()
        within, prefixes = SegmentData.terms_within, SegmentData.prefix_frequencies
        constant = Evaluator._constant

        def spy_within(seg: SegmentData, field: str, text: str, *args: Any) -> set[str]:
            self.within.append(text)
            return within(seg, field, text, *args)

        def spy_prefixes(seg: SegmentData, field: str, prefix: str, *args: Any
                         ) -> dict[str, int]:
            self.prefixes.append(prefix)
            return prefixes(seg, field, prefix, *args)

        def spy_constant(ev: Evaluator, field: str, terms: Any, mask: Any, score: Any,
                         weight: float) -> None:
            terms = list(terms)
            if weight in (FUZZY_WEIGHT, PREFIX_WEIGHT):
                self.expanded.update((field, t) for t in terms)
            constant(ev, field, terms, mask, score, weight)

        monkeypatch.setattr(SegmentData, "terms_within", spy_within)
        monkeypatch.setattr(SegmentData, "prefix_frequencies", spy_prefixes)
        monkeypatch.setattr(Evaluator, "_constant", spy_constant)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def _random_word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


def _normal(result: SearchResult) -> None:
    assert isinstance(result, SearchResult)
    assert result.total >= 0 and isinstance(result.notices, tuple)


def test_a_long_random_word_is_never_typo_matched(hostile_index: SearchIndex, spy: Spy) -> None:
    word = _random_word(random.Random(1), 490)
    result = hostile_index.search(SearchQuery(f"lille {word}"))
    _normal(result)
    assert result.total == 200  # "lille" still finds its profiles (as a partial match)
    assert all(len(text) <= budget.MAX_FUZZY_LENGTH for text in spy.within)
    assert word not in spy.within and result.suggestion is None


def test_many_unknown_words_stop_being_typo_matched_at_the_cap(
    hostile_index: SearchIndex, spy: Spy
) -> None:
    rng = random.Random(2)
    words = [_random_word(rng, 9) for _ in range(24)]  # the parser's most words
    result = hostile_index.search(SearchQuery(" ".join(words)))
    _normal(result)
    assert 0 < len(set(spy.within)) <= budget.MAX_FUZZY_WORDS
    assert budget.NOTICE in result.notices


def test_many_wildcards_expand_at_most_the_query_cap(hostile_index: SearchIndex, spy: Spy
                                                     ) -> None:
    text = " ".join(f"{prefix}*" for prefix in PREFIXES)
    result = hostile_index.search(SearchQuery(text))
    _normal(result)
    assert result.total > 0
    assert len(set(spy.prefixes)) <= budget.MAX_PREFIX_WORDS
    assert 0 < len(spy.expanded) <= budget.MAX_QUERY_EXPANSIONS
    assert budget.NOTICE in result.notices


def test_one_prefix_expands_to_its_most_frequent_terms_only(
    hostile_index: SearchIndex, spy: Spy
) -> None:
    result = hostile_index.search(SearchQuery(f"{PREFIXES[0]}*"))
    assert result.total > 0
    assert len(spy.expanded) == budget.MAX_PREFIX_TERMS  # 100 words share the prefix
    assert budget.NOTICE not in result.notices  # the per-word cap is the normal case


def test_a_word_is_expanded_once_even_when_the_query_is_retried_as_or(
    hostile_index: SearchIndex, spy: Spy
) -> None:
    word = _vocabulary()[PREFIXES[1]][0]
    typo = word[:3] + ("a" if word[3] != "a" else "e") + word[4:]
    result = hostile_index.search(SearchQuery(f"{typo} zzzzzzz {PREFIXES[2]}*"))
    _normal(result)
    assert "No profile matched every word; showing partial matches." in result.notices
    assert sorted(spy.within) == sorted({typo, "zzzzzzz"})  # not again for the OR retry
    assert spy.prefixes == [PREFIXES[2]]


@pytest.mark.parametrize("text", [
    "((((((((" + PREFIXES[0] + "* OR \"lille lyon\") lille)))))))",
    '"' + " ".join(PREFIXES[:6]) + '" ' + " ".join(f'"{p}* x"' for p in PREFIXES[6:12]),
    " OR ".join(f"-{p}* (lille OR {p}*)" for p in PREFIXES[:6]),
    "company:" + "x" * 400,
    "(" * 8 + '"' * 9 + "lille",
])
def test_deep_groups_quotes_and_odd_fields_answer_normally(
    hostile_index: SearchIndex, spy: Spy, text: str
) -> None:
    _normal(hostile_index.search(SearchQuery(text)))
    assert len(set(spy.within)) <= budget.MAX_FUZZY_WORDS
    assert len(spy.expanded) <= budget.MAX_QUERY_EXPANSIONS


def test_2000_characters_are_refused_before_any_work(hostile_index: SearchIndex, spy: Spy
                                                     ) -> None:
    rng = random.Random(3)
    text = " ".join(_random_word(rng, 9) for _ in range(200))[:2000]
    with pytest.raises(QueryError) as err:
        hostile_index.search(SearchQuery(text))
    assert "too long" in err.value.message
    assert spy.within == [] and spy.prefixes == []


def test_a_spent_time_budget_drops_typo_and_prefix_matching(
    hostile_index: SearchIndex, spy: Spy
) -> None:
    word = _vocabulary()[PREFIXES[3]][5]
    typo = word[:4] + ("a" if word[4] != "a" else "e") + word[5:]
    snap = hostile_index._snapshot()  # type: ignore[attr-defined]
    relaxed = run(snap, parse(typo), SearchQuery(typo), Budget())
    assert relaxed.total > 0 and budget.NOTICE not in relaxed.notices
    spy.within.clear()
    spent = run(snap, parse(f"{typo} {PREFIXES[4]}*"), SearchQuery(typo), Budget(seconds=0))
    assert spent.total == 0 and budget.NOTICE in spent.notices
    assert spy.within == [] and PREFIXES[4] not in spy.prefixes


def test_budget_counts_and_refuses() -> None:
    ticks = iter([0.0, 0.1, 0.2, 5.0])
    spend = Budget(seconds=1.0, clock=lambda: next(ticks))
    assert spend.start_fuzzy() and spend.start_prefix()
    assert not spend.start_fuzzy() and spend.limited  # the clock passed the deadline
    capped = Budget()
    assert len(capped.take(["t"] * (budget.MAX_QUERY_EXPANSIONS + 10))) == (
        budget.MAX_QUERY_EXPANSIONS)
    assert capped.take(["t"]) == [] and capped.limited


def test_unknown_words_do_not_fill_the_postings_cache(hostile_index: SearchIndex) -> None:
    rng = random.Random(4)
    snap = hostile_index._snapshot()  # type: ignore[attr-defined]
    before = sum(len(seg._postings) for seg in snap.segments)
    for _ in range(50):  # a phrase looks its word pairs up even when the words are unknown
        hostile_index.search(SearchQuery(f'"{_random_word(rng, 5)} {_random_word(rng, 5)}"'))
    assert sum(len(seg._postings) for seg in snap.segments) == before



def test_numbers_of_locates_like_lookup_across_segments(tmp_path: Any) -> None:
    """Locating the caller's network at once (degree facet, boosts, exclusions) finds what
    ``lookup`` finds one id at a time: the live copy of an id updated in a later segment,
    nothing for a deleted or unknown id, in the order asked."""
    idx = open_index(tmp_path / "idx")
    idx.rebuild([{"id": f"d{n}", "name": f"Person {n}"} for n in range(30)])
    idx.upsert([{"id": "d3", "name": "Person three, updated"}, {"id": "d40", "name": "New"}])
    idx.delete(["d5"])
    idx.refresh()
    snap = idx._snapshot()  # type: ignore[attr-defined]
    assert len(snap.segments) >= 2
    asked = ["d40", "d3", "d5", "nobody", "d0", "d3"]

    numbers = snap.numbers_of(asked)

    assert numbers.tolist() == [-1 if snap.lookup(i) is None else snap.lookup(i) for i in asked]
    assert numbers[2] == numbers[3] == -1 and min(numbers[[0, 1, 4]]) >= 0
    assert snap.locate(asked).tolist() == [
        snap.lookup(i) for i in asked if snap.lookup(i) is not None]
    idx.close()
