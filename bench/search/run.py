"""Search benchmark: the Whoosh-backed index against SQLite FTS5 on the same profiles.

    .venv/bin/python bench/search/run.py --members 100000

Prints bulk indexing rate, size on disk, query latency p50/p95 per query type (including
``refresh()``, totals and facets, as the engine calls it), single-update latency (upsert,
commit, visible to a refreshed searcher) and the searcher's memory (RSS delta in a fresh
process after opening and warming), with FTS5 (unicode61 remove_diacritics 2) as baseline.

    .venv/bin/python bench/search/run.py --backend postgres \
        --database-url postgresql://postgres@127.0.0.1:5432/bench

measures the PostgreSQL backend instead (namespace "bench", removed afterwards); its size is
that of the search tables and their indexes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

from profiles import generate  # noqa: E402

from search import SearchIndex, SearchQuery, open_index, open_postgres_index  # noqa: E402

# (type, our query, FTS5 query); FTS5 has no stemming, typo tolerance or facets of lists.
QUERIES: list[tuple[str, str | SearchQuery, str]] = [
    ("term", "python", "python"),
    ("term", "docker", "docker"),
    ("term", "chercheur", "chercheur"),
    ("term", "montréal", "montréal"),
    ("term", "robotics", "robotics"),
    ("term", "économie", "économie"),
    ("term", "leadership", "leadership"),
    ("term", "enseignement", "enseignement"),
    ("two terms", "développeur python", "développeur python"),
    ("two terms", "data lyon", "data lyon"),
    ("two terms", "chercheuse génomique", "chercheuse génomique"),
    ("two terms", "software engineer", "software engineer"),
    ("two terms", "consultant finance", "consultant finance"),
    ("two terms", "équipe recherche", "équipe recherche"),
    ("phrase", '"machine learning"', '"machine learning"'),
    ("phrase", '"chef de projet"', '"chef de projet"'),
    ("phrase", '"data science"', '"data science"'),
    ("phrase", '"analyse de données"', '"analyse de données"'),
    ("phrase", '"public speaking"', '"public speaking"'),
    ("phrase", '"santé publique"', '"santé publique"'),
    ("field", "company:inria", "organisation:inria"),
    ("field", "skill:rust", "skills:rust"),
    ("field", "location:québec", "location:québec"),
    ("field", "name:dubois", "name:dubois"),
    ("field", "title:directrice", "headline:directrice"),
    ("field", SearchQuery("data", location="Lyon"), "data AND location:lyon"),
    ("field", SearchQuery("", skill="Python", open_to_opportunities=True), "skills:python"),
    ("prefix", "dévelop*", "dévelop*"),
    ("prefix", "rech*", "rech*"),
    ("prefix", "cyber*", "cyber*"),
    ("prefix", "bioinfo*", "bioinfo*"),
    ("prefix", "ingé*", "ingé*"),
    ("prefix", "mach*", "mach*"),
    ("typo", "pyhton", "pyhton"),
    ("typo", "devlopeur", "devlopeur"),
    ("typo", "kubernets", "kubernets"),
    ("typo", "recherhe", "recherhe"),
    ("typo", "marketting", "marketting"),
    ("typo", "chercheusse", "chercheusse"),
    (
        "mixed",
        'ingénieur "machine learning" location:lyon',
        'ingénieur AND "machine learning" AND location:lyon',
    ),
    ("mixed", "python -java", "python NOT java"),
    ("mixed", "(data OR statistics) company:cnrs", "(data OR statistics) AND organisation:cnrs"),
    (
        "mixed",
        "chercheuse (génomique OR bioinformatique)",
        "chercheuse AND (génomique OR bioinformatique)",
    ),
    ("mixed", "développeuse skill:react", "développeuse AND skills:react"),
    ("mixed", "product manager london", "product manager london"),
]
TYPES = ["term", "two terms", "phrase", "field", "prefix", "typo", "mixed"]


def as_query(q: str | SearchQuery) -> SearchQuery:
    return q if isinstance(q, SearchQuery) else SearchQuery(q)


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def time_queries(
    run: Callable[[str | SearchQuery, str], object], rounds: int
) -> dict[str, list[float]]:
    for _, ours, fts in QUERIES:  # warm-up pass, not timed
        run(ours, fts)
    timings: dict[str, list[float]] = {t: [] for t in TYPES}
    for _ in range(rounds):
        for kind, ours, fts in QUERIES:
            start = time.perf_counter()
            run(ours, fts)
            timings[kind].append((time.perf_counter() - start) * 1000)
    return timings


# -- Whoosh (our index) -----------------------------------------------------------------------


def whoosh_bench(docs: list[dict], workdir: Path, rounds: int) -> dict[str, object]:
    root = workdir / "whoosh"
    return index_bench(lambda: open_index(root), lambda: dir_size(root), ["whoosh", str(root)],
                       docs, rounds)


PG_NAMESPACE = "bench"


def postgres_size(url: str) -> int:
    import psycopg

    from search.postgres_backend import TABLES, conninfo

    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::regclass[]) t", (list(TABLES),)
        ).fetchone()
    return int(row[0]) if row and row[0] else 0


def postgres_bench(docs: list[dict], url: str, rounds: int) -> dict[str, object]:
    def open_pg() -> SearchIndex:
        return open_postgres_index(url, PG_NAMESPACE)

    try:
        return index_bench(open_pg, lambda: postgres_size(url), ["postgres", url], docs, rounds)
    finally:
        idx = open_pg()
        idx.drop()  # type: ignore[attr-defined]
        idx.close()


def index_bench(
    open_: Callable[[], SearchIndex], size_of: Callable[[], int], child: list[str],
    docs: list[dict], rounds: int,
) -> dict[str, object]:
    idx = open_()
    start = time.perf_counter()
    idx.rebuild(docs)
    build = time.perf_counter() - start
    idx.close()
    size = size_of()
    memory = int(
        subprocess.check_output([sys.executable, __file__, "--child-memory", *child]).strip()
    )
    idx = open_()

    def run(ours: str | SearchQuery, fts: str) -> object:
        return idx.search(as_query(ours))

    timings = time_queries(run, rounds)
    updates = []
    for n in range(10):
        doc = dict(docs[n], id=f"upd{n}", summary=f"zyxunique{n} update")
        start = time.perf_counter()
        idx.upsert([doc])
        idx.refresh()
        assert idx.search(SearchQuery(f"zyxunique{n}")).total == 1
        updates.append((time.perf_counter() - start) * 1000)
    idx.close()
    return {
        "rate": len(docs) / build,
        "size": size,
        "timings": timings,
        "update": statistics.median(updates),
        "memory": memory,
    }


def index_memory(kind: str, where: str) -> int:
    import search.postgres_backend  # noqa: F401 - module imports are not the searcher's memory
    import search.whoosh_backend  # noqa: F401

    before = rss_kb()
    idx = open_index(Path(where)) if kind == "whoosh" else open_postgres_index(where, PG_NAMESPACE)
    for _, ours, _ in QUERIES:
        idx.search(as_query(ours))
    return rss_kb() - before


# -- SQLite FTS5 (baseline) -------------------------------------------------------------------

FTS_COLUMNS = ("id", "name", "headline", "organisation", "location", "skills", "body", "open")


def fts_row(doc: dict) -> tuple:
    body = "\n".join(
        str(doc.get(k) or "")
        for k in ("position", "summary", "experiences", "education", "offers", "seeks")
    )
    return (
        doc["id"],
        doc["name"],
        doc["headline"],
        doc["organisation"] or "",
        doc["location"],
        ", ".join(doc["skills"]),
        body,
        "1" if doc["open_to_opportunities"] else "0",
    )


def fts_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    return con


def fts_search(con: sqlite3.Connection, match: str) -> object:
    """What the engine needs: top 20 by rank, total, organisation and location facets."""
    hits = con.execute(
        "SELECT id FROM p WHERE p MATCH ? ORDER BY rank LIMIT 20", (match,)
    ).fetchall()
    total = con.execute("SELECT count(*) FROM p WHERE p MATCH ?", (match,)).fetchone()
    facets = [
        con.execute(
            f"SELECT {col}, count(*) FROM p WHERE p MATCH ? GROUP BY {col} "
            "ORDER BY 2 DESC LIMIT 20",
            (match,),
        ).fetchall()
        for col in ("organisation", "location")
    ]
    return hits, total, facets


def fts_bench(docs: list[dict], workdir: Path, rounds: int) -> dict[str, object]:
    path = workdir / "fts.sqlite"
    con = fts_connect(path)
    con.execute(
        f"CREATE VIRTUAL TABLE p USING fts5({', '.join(FTS_COLUMNS)}, "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')"
    )
    start = time.perf_counter()
    with con:
        con.executemany(
            f"INSERT INTO p VALUES ({', '.join('?' * len(FTS_COLUMNS))})",
            (fts_row(d) for d in docs),
        )
    build = time.perf_counter() - start
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    size = path.stat().st_size
    memory = int(
        subprocess.check_output(
            [sys.executable, __file__, "--child-memory", "fts", str(path)]
        ).strip()
    )
    con = fts_connect(path)
    timings = time_queries(lambda ours, fts: fts_search(con, fts), rounds)
    updates = []
    for n in range(10):
        doc = dict(docs[n], id=f"upd{n}", summary=f"zyxunique{n} update")
        start = time.perf_counter()
        with con:
            con.execute(
                "INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                fts_row(doc)[:6] + (f"zyxunique{n} update", "0"),
            )
        assert fts_search(con, f"zyxunique{n}")[1][0] == 1
        updates.append((time.perf_counter() - start) * 1000)
    con.close()
    return {
        "rate": len(docs) / build,
        "size": size,
        "timings": timings,
        "update": statistics.median(updates),
        "memory": memory,
    }


def fts_memory(path: Path) -> int:
    before = rss_kb()
    con = fts_connect(path)
    for _, _, fts in QUERIES:
        fts_search(con, fts)
    return rss_kb() - before


# -- report -----------------------------------------------------------------------------------


def row(label: str, ours: float, base: float, unit: str, fmt: str = "{:.1f}") -> str:
    ratio = ours / base if base else float("inf")
    return f"| {label} | {fmt.format(ours)} {unit} | {fmt.format(base)} {unit} | {ratio:.2f} |"


def report(n: int, ours: dict, base: dict, backend: str = "whoosh") -> None:
    print(f"\n### {n} profiles\n")
    print(f"| measure | {backend} (search/) | SQLite FTS5 | ratio |")
    print("|---|---|---|---|")
    print(row("bulk indexing", ours["rate"], base["rate"], "docs/s", "{:.0f}"))
    print(row("size on disk", ours["size"] / 2**20, base["size"] / 2**20, "MiB"))
    for kind in [*TYPES, "all"]:
        mine = (
            [v for t in TYPES for v in ours["timings"][t]]
            if kind == "all"
            else ours["timings"][kind]
        )
        theirs = (
            [v for t in TYPES for v in base["timings"][t]]
            if kind == "all"
            else base["timings"][kind]
        )
        print(row(f"{kind} p50", percentile(mine, 50), percentile(theirs, 50), "ms", "{:.2f}"))
        print(row(f"{kind} p95", percentile(mine, 95), percentile(theirs, 95), "ms", "{:.2f}"))
    print(row("single update visible (p50)", ours["update"], base["update"], "ms"))
    print(row("searcher memory (RSS delta)", ours["memory"] / 1024, base["memory"] / 1024, "MiB"))


def from_instance(slug: str) -> list[dict]:
    """The documents the engine would index for an instance (MAILLON_* settings apply)."""
    import sys

    sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "platform")]
    from maillon import create_app
    from maillon.db import db
    from maillon.finder.indexing import _iter_documents
    from maillon.tenancy.services import get_instance_by_slug

    app = create_app()
    with app.app_context():
        instance = get_instance_by_slug(db.session, slug)
        return [dict(d) for d in _iter_documents(db.session, instance)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child-memory", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-fts", action="store_true")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument("--database-url", default=os.environ.get("MAILLON_BENCH_DATABASE_URL", ""),
                        help="PostgreSQL URL for --backend postgres (default: "
                        "MAILLON_BENCH_DATABASE_URL)")
    parser.add_argument("--from-instance", metavar="SLUG", help="Index the members of this "
                        "instance from the database (fill it first with `maillon demo "
                        "--members N --instance SLUG`) instead of generated profiles.")
    args = parser.parse_args()
    if args.child_memory:
        kind, path = args.child_memory
        print(fts_memory(Path(path)) if kind == "fts" else index_memory(kind, path))
        return
    if args.backend == "postgres" and not args.database_url:
        parser.error("--backend postgres needs --database-url (or MAILLON_BENCH_DATABASE_URL)")
    start = time.perf_counter()
    docs = list(from_instance(args.from_instance) if args.from_instance
                else generate(args.members))
    print(f"generated {len(docs)} profiles in {time.perf_counter() - start:.1f}s", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        if args.backend == "postgres":
            ours = postgres_bench(docs, args.database_url, args.rounds)
        else:
            ours = whoosh_bench(docs, workdir, args.rounds)
        print(f"{args.backend} done", flush=True)
        empty = {
            "rate": 0,
            "size": 0,
            "timings": {t: [0.0] for t in TYPES},
            "update": 0,
            "memory": 0,
        }
        base = empty if args.skip_fts else fts_bench(docs, workdir, args.rounds)
        report(len(docs), ours, base, args.backend)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _ = os.getpid()


if __name__ == "__main__":
    main()
