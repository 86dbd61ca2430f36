"""Full-text search over member profiles, one index per instance.

The engine hands plain dicts in and gets ids back; nothing here imports ``maillon``, and
nothing outside :mod:`search.whoosh_backend` names Whoosh.  A second backend,
:mod:`search.postgres_backend`, keeps the index in PostgreSQL for deployments whose web
processes do not share a ``var/`` directory; both analyse and rank with the same code.

    idx = open_index(Path("var/search/academia"))
    idx.upsert([{"id": "42", "name": "Zoé Martin", "skills": ["Python"]}])
    idx.search(SearchQuery("python company:acme")).hits
    pg = open_postgres_index("postgresql://maillon@db/maillon", "academia")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from search.interface import (
    Hit,
    IndexBusy,
    IndexUnavailable,
    QueryError,
    ReconcileReport,
    SearchIndex,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "Hit",
    "IndexBusy",
    "IndexUnavailable",
    "QueryError",
    "ReconcileReport",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "open_index",
    "open_postgres_index",
]


def open_index(
    root: Path, *, lock_timeout: float = 10.0, retain_seconds: float = 60.0,
    create: bool = True,
) -> SearchIndex:
    """Open the index stored under ``root`` = ``var/search/<slug>/``.

    With ``create``, an index that never existed there is created empty (first use).  One
    that is missing or unreadable is never replaced: reads and writes raise
    ``IndexUnavailable`` (``idx.recovery`` says why) until ``idx.rebuild(...)``.
    """
    from search.whoosh_backend import WhooshIndex

    return WhooshIndex(Path(root), lock_timeout=lock_timeout, retain_seconds=retain_seconds,
                       create=create)


def open_postgres_index(
    dsn_or_engine: Any, namespace: str, *, lock_timeout: float = 10.0,
    statement_timeout: float = 10.0,
) -> SearchIndex:
    """Open the index ``namespace`` (an instance's slug) kept in a PostgreSQL database.

    ``dsn_or_engine`` is a ``postgresql://`` URL (SQLAlchemy's ``postgresql+psycopg://`` too)
    or an SQLAlchemy engine; the tables are created on first use.
    """
    from search.postgres_backend import PostgresIndex

    return PostgresIndex(dsn_or_engine, namespace, lock_timeout=lock_timeout,
                         statement_timeout=statement_timeout)
