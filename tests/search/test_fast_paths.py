"""Each fast path over Whoosh internals against its twin on Whoosh's public API.

``WhooshIndex(fast=True)`` decodes postings and field lengths with
:mod:`search.whoosh_internals` and rebuilds with the bulk writer; ``fast=False`` reads through
Whoosh's matchers and ``doc_field_length`` and rebuilds with Whoosh's own writer.  On the
same files, and on files written each way from the same documents, both must give the same
answers: hits in the same order with the same scores (exactly: the evaluator sees the same
float32 inputs), totals, facets, suggestions, notices and group counts.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import SearchQuery, whoosh_backend, whoosh_internals
from search.segments import SegmentData
from search.whoosh_backend import WhooshIndex

BENCH = Path(__file__).resolve().parents[2] / "bench" / "search"

QUERIES = [
    "", "python", "chercheuse", "développeur python", "data lyon", '"machine learning"',
    '"chef de projet"', "company:inria", "skill:rust", "location:québec", "name:dubois",
    "title:directrice", "dévelop*", "rech*", "ingé*", "pyhton", "devlopeur", "recherhe",
    "python -java", "(data OR statistics) company:cnrs", "product manager london",
    'ingénieur "machine learning" location:lyon', "zzzz qqqq", "machine learning",
]


def _generated(count: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("bench_profiles", BENCH / "profiles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.generate(count, seed=11))


def _answer(result: Any) -> tuple[Any, ...]:
    hits = [(h.id, h.score) for h in result.hits]
    return (result.total, hits, result.facets, result.suggestion, result.notices,
            result.group_counts)


def _queries(docs: list[dict[str, Any]]) -> Iterator[SearchQuery]:
    groups = {"near": [d["id"] for d in docs[::3]], "far": [d["id"] for d in docs[1::5]]}
    for text in QUERIES:
        yield SearchQuery(text)
        yield SearchQuery(text, language="en", per_page=7, page=2, group_ids=groups)
        yield SearchQuery(text, organisation=docs[0]["organisation"],
                          open_to_opportunities=True, allowed_ids=groups["near"])
        yield SearchQuery(text, skill="Python", boosts={docs[5]["id"]: 3.0})


def _assert_same_answers(one: WhooshIndex, other: WhooshIndex, queries: list[SearchQuery]
                         ) -> int:
    """Same answers to every query; returns how many queries found someone."""
    found = 0
    for q in queries:
        expected = _answer(other.search(q))
        assert _answer(one.search(q)) == expected, q
        found += expected[0] > 0
    assert one.ids() == other.ids() and one.count() == other.count()
    return found


def _segments(idx: WhooshIndex) -> list[SegmentData]:
    return idx._read(lambda snap: list(snap.segments))


def _fill(idx: WhooshIndex, docs: list[dict[str, Any]]) -> None:
    """A rebuild in several segments, then updates and deletions (Whoosh's writer, which
    also merges small segments): segments with deleted documents, of both writers."""
    idx.rebuild(docs[:250])
    idx.upsert({**d, "headline": f"{d.get('headline', '')} consultante data"} for d in docs[:30])
    idx.upsert(docs[250:])
    idx.delete(d["id"] for d in docs[30:45])


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return _generated(300)


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whoosh_backend, "BULK_SEGMENT_DOCS", 90)


def test_public_readers_answer_like_the_fast_ones_on_the_same_files(
        tmp_path: Path, docs: list[dict[str, Any]], small_segments: None) -> None:
    writer = WhooshIndex(tmp_path / "idx")
    _fill(writer, docs)
    fast, public = WhooshIndex(tmp_path / "idx"), WhooshIndex(tmp_path / "idx", fast=False)
    try:
        segments = _segments(public)
        assert len(segments) > 1 and any(s.reader.has_deletions() for s in segments)
        found = _assert_same_answers(public, fast, list(_queries(docs)))
        assert found > len(QUERIES) * 2  # the comparison is about answers, not empty lists
    finally:
        for idx in (writer, fast, public):
            idx.close()


def test_each_term_decodes_alike_through_both_readers(
        tmp_path: Path, docs: list[dict[str, Any]], small_segments: None) -> None:
    """Every posting list and field length of every segment, deletions set aside (Whoosh's
    matcher leaves out the documents deleted when the segment was opened)."""
    idx = WhooshIndex(tmp_path / "idx")
    _fill(idx, docs)
    try:
        for seg in _segments(idx):
            reader = seg.reader
            deleted = np.array(sorted(reader.deleted_docs_set), dtype=np.int64)
            for field in reader.schema.names():
                for term in reader.lexicon(field) if reader.schema[field].indexed else ():
                    text = term.decode("utf-8")
                    ids, weights = whoosh_internals.decode_postings(reader, field, text)
                    live = ~np.isin(ids, deleted)
                    public = whoosh_internals.public_postings(reader, field, text)
                    assert np.array_equal(ids[live], public[0]), (field, text)
                    assert np.array_equal(weights[live], public[1]), (field, text)
            for field in ("text", "title", "word"):
                assert np.array_equal(whoosh_internals.field_lengths(reader, field),
                                      whoosh_internals.public_field_lengths(reader, field))
            assert whoosh_internals.field_lengths(reader, "text").any()
    finally:
        idx.close()


def test_whoosh_writer_builds_what_the_bulk_writer_builds(
        tmp_path: Path, docs: list[dict[str, Any]], small_segments: None) -> None:
    bulk, stock = WhooshIndex(tmp_path / "bulk"), WhooshIndex(tmp_path / "stock", fast=False)
    try:
        rebuilt = [*docs[:200], {**docs[3], "headline": "Doublon"}]  # a repeated id too
        assert bulk.rebuild(rebuilt) == stock.rebuild(rebuilt) == 200
        pairs = list(zip(_segments(bulk), _segments(stock), strict=True))
        assert len(pairs) == 3
        for ours, theirs in pairs:
            a, b = ours.reader, theirs.reader
            assert a.doc_count_all() == b.doc_count_all()
            assert sorted(a.deleted_docs_set) == sorted(b.deleted_docs_set)
            assert [a.stored_fields(n) for n in range(a.doc_count_all())] == [
                b.stored_fields(n) for n in range(b.doc_count_all())]
            for field in a.schema.names():
                if not a.schema[field].indexed:
                    continue
                assert list(a.lexicon(field)) == list(b.lexicon(field)), field
                for term in a.lexicon(field):
                    text = term.decode("utf-8")
                    mine = whoosh_internals.public_postings(a, field, text)
                    whoosh = whoosh_internals.public_postings(b, field, text)
                    assert np.array_equal(mine[0], whoosh[0]), (field, text)
                    assert np.array_equal(mine[1], whoosh[1]), (field, text)
                assert a.field_length(field) == b.field_length(field), field
                assert np.array_equal(whoosh_internals.public_field_lengths(a, field),
                                      whoosh_internals.public_field_lengths(b, field)), field
        assert _assert_same_answers(bulk, stock, list(_queries(docs))) > len(QUERIES) * 2
    finally:
        bulk.close()
        stock.close()


# -- generated documents and operations ---------------------------------------------------

WORDS = ["python", "Python", "données", "donnees", "chercheuse", "chercheur", "lyon", "Lyon",
         "rust", "ingénieure", "machine", "learning", "data", "paris", "ACME", "acme",
         "Globex", "directrice", "recherche", "développeuse"]
phrase = st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join)
profile = st.fixed_dictionaries(
    {"id": st.sampled_from([f"p{n}" for n in range(14)]), "name": phrase},
    optional={"headline": phrase, "summary": phrase,
              "organisation": st.sampled_from(["ACME", "acme", "Acmé", "Globex"]),
              "location": st.sampled_from(["Lyon", "lyon", "Paris"]),
              "skills": st.lists(st.sampled_from(["Python", "python", "Rust", "Data"]),
                                 max_size=3),
              "language": st.sampled_from(["fr", "en"]),
              "open_to_opportunities": st.booleans()})
operation = st.one_of(
    st.tuples(st.just("upsert"), st.lists(profile, min_size=1, max_size=5)),
    st.tuples(st.just("delete"), st.lists(st.sampled_from([f"p{n}" for n in range(14)]),
                                          min_size=1, max_size=4)))
query = st.one_of(
    st.lists(st.sampled_from(WORDS + ["pyth*", "rech*", "pyhton", "chercheusse", "-rust",
                                      "OR", "company:acme", "skill:python", "name:lyon"]),
             min_size=1, max_size=3).map(" ".join),
    st.sampled_from(['"machine learning"', "(python OR rust) -data", ""]))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(built=st.lists(profile, max_size=25), operations=st.lists(operation, max_size=4),
       queries=st.lists(query, min_size=1, max_size=6))
def test_fast_and_public_paths_agree_on_generated_indexes(
        built: list[dict[str, Any]], operations: list[tuple[str, Any]], queries: list[str]
) -> None:
    """The fast stack (bulk writer, fast readers), Whoosh's public stack (its writer and
    readers), and the public readers on the fast stack's files: one answer."""
    with tempfile.TemporaryDirectory() as tmp:
        fast = WhooshIndex(Path(tmp) / "fast")
        public = WhooshIndex(Path(tmp) / "public", fast=False)
        for idx in (fast, public):
            idx.rebuild(built)
            for kind, payload in operations:
                if kind == "upsert":
                    idx.upsert(payload)
                else:
                    idx.delete(payload)
        on_fast_files = WhooshIndex(Path(tmp) / "fast", fast=False)
        try:
            cases = [SearchQuery(text, group_ids={"odd": {f"p{n}" for n in range(1, 14, 2)}})
                     for text in queries]
            cases += [SearchQuery(text, organisation="acme", skill="python") for text in queries]
            _assert_same_answers(public, fast, cases)
            _assert_same_answers(on_fast_files, fast, cases)
        finally:
            for idx in (fast, public, on_fast_files):
                idx.close()
