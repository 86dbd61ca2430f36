"""The PostgreSQL backend: same answers as Whoosh, and its own failure modes."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from search import IndexUnavailable, QueryError, SearchQuery, open_index, open_postgres_index
from search.analysis import stem
from search.postgres_backend import PostgresIndex, conninfo, levenshtein

from .conftest import PROFILES, _postgres_url

BENCH = Path(__file__).resolve().parents[2] / "bench" / "search"


def _bench(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def pg_url() -> str:
    return _postgres_url()


@pytest.fixture
def pg(pg_url: str, request: pytest.FixtureRequest) -> Any:
    idx = open_postgres_index(pg_url, f"t-{request.node.name[:40]}")
    idx.rebuild([])
    yield idx
    idx.drop()  # type: ignore[attr-defined]
    idx.close()


def _answer(result: Any) -> tuple[Any, ...]:
    hits = [(h.id, round(h.score, 4)) for h in result.hits]
    return (result.total, hits, result.facets, result.suggestion, result.notices)


QUERIES = [
    "", "python", "chercheuse", "développeur python", "data lyon", '"machine learning"',
    '"chef de projet"', "company:inria", "skill:rust", "location:québec", "name:dubois",
    "title:directrice", "dévelop*", "rech*", "ingé*", "pyhton", "devlopeur", "recherhe",
    "chercheusse", "python -java", "(data OR statistics) company:cnrs",
    'ingénieur "machine learning" location:lyon', "product manager london",
    "zzzz qqqq", "machine learning",
]


def test_generated_profiles_get_the_same_answers_on_both_backends(
    pg: PostgresIndex, tmp_path: Path
) -> None:
    """Scores, order, totals, facets, suggestions and notices: the "same ranking rules"."""
    docs = list(_bench("profiles").generate(400, seed=7))
    whoosh = open_index(tmp_path / "w")
    assert whoosh.rebuild(docs) == pg.rebuild(docs) == 400
    try:
        for text in QUERIES:
            for extra in ({}, {"language": "en", "per_page": 7, "page": 2},
                          {"organisation": docs[0]["organisation"], "open_to_opportunities": True},
                          {"skill": "Python", "boosts": {docs[5]["id"]: 3.0}}):
                q = SearchQuery(text, **extra)  # type: ignore[arg-type]
                assert _answer(pg.search(q)) == _answer(whoosh.search(q)), (text, extra)
    finally:
        whoosh.close()


def test_term_frequencies_survive_the_round_trip(pg: PostgresIndex) -> None:
    pg.upsert([{"id": "a", "summary": " ".join(["robotique"] * 7 + ["vision"])},
               {"id": "b", "summary": "robotique vision vision"}])
    snap = pg._read(lambda s: s)
    for doc, word, tf in (("a", "robotique", 7), ("a", "vision", 1), ("b", "vision", 2)):
        ids, freqs = snap.postings("text", stem(word, "fr"))
        assert dict(zip(ids.tolist(), freqs.tolist(), strict=True))[snap.lookup(doc)] == tf
    assert [h.id for h in pg.search(SearchQuery("robotique")).hits] == ["a", "b"]


def test_vocabulary_follows_updates_and_deletes(pg: PostgresIndex) -> None:
    pg.upsert([{"id": "a", "name": "Anouk Zéphyr"}, {"id": "b", "name": "Bruno Zéphyr"}])
    pg.upsert([{"id": "a", "name": "Anouk Martin"}])
    rows = pg._read(lambda s: s.segment.prefix_frequencies("name", "z", None))
    assert rows == {"zephyr": 1}
    pg.delete(["b"])
    assert pg._read(lambda s: s.segment.prefix_frequencies("name", "z", None)) == {}
    assert pg.search(SearchQuery("name:zeph*")).total == 0
    assert pg.search(SearchQuery("name:mart*")).total == 1


def test_tables_dropped_under_a_running_index_are_unavailable_until_rebuilt(
    pg: PostgresIndex, pg_url: str
) -> None:
    import psycopg

    pg.upsert(PROFILES)
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        conn.execute("DROP TABLE search_documents, search_terms, search_namespaces")
    with pytest.raises(IndexUnavailable):
        pg.count()  # not "nobody found" from an empty stand-in
    assert pg.recovery and "rebuild" in pg.recovery
    with pytest.raises(IndexUnavailable):
        pg.search(SearchQuery("python"))
    with pytest.raises(IndexUnavailable):
        pg.upsert(PROFILES[:1])  # nor a partial index passing for a complete one
    assert pg.rebuild(PROFILES) == len(PROFILES)  # the tables were recreated
    assert pg.recovery is None
    assert pg.count() == len(PROFILES)
    assert pg.search(SearchQuery("python")).total == 2


def test_a_search_past_the_statement_timeout_is_a_query_error(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = open_postgres_index(pg_url, "t-timeout", statement_timeout=0.5)
    assert isinstance(idx, PostgresIndex)
    try:
        real = idx._query

        def slow(query: str, params: Any) -> Any:
            idx._reader_connection().execute("SELECT pg_sleep(3)")
            return real(query, params)

        monkeypatch.setattr(idx, "_query", slow)
        with pytest.raises(QueryError) as err:
            idx.search(SearchQuery("python"))
        assert "too long" in err.value.message
        monkeypatch.undo()
        assert idx.search(SearchQuery("python")).total == 0  # the connection is still usable
    finally:
        idx.close()


def test_only_postgresql_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        open_postgres_index("sqlite:///var/maillon.db", "academia")
    with pytest.raises(ValueError, match="namespace"):
        open_postgres_index("postgresql://localhost/x", "")
    assert conninfo("postgresql+psycopg://u:p@h:5/db") == "postgresql://u:p@h:5/db"


def test_levenshtein_counts_edits_and_stops_past_the_limit() -> None:
    assert levenshtein("python", "pyhton", 2) == 2
    assert levenshtein("chercheur", "chercheuse", 2) == 2
    assert levenshtein("abc", "abc", 1) == 0
    assert levenshtein("kitten", "sitting", 2) == 3  # limit + 1: "more than 2"
    assert levenshtein("a", "abcdef", 2) == 3
    assert Counter(levenshtein(a, b, 1) for a, b in [("ab", "ba"), ("ab", "ab")]) == {2: 1, 0: 1}
