"""Full-text search over member profiles, one index per instance.

The engine hands plain dicts in and gets ids back; nothing here imports ``maillon``, and
nothing outside :mod:`search.whoosh_backend` names Whoosh, so another backend (PostgreSQL
full-text search) can implement :class:`SearchIndex` later.

    idx = open_index(Path("var/search/academia"))
    idx.upsert([{"id": "42", "name": "Zoé Martin", "skills": ["Python"]}])
    idx.search(SearchQuery("python company:acme")).hits
"""

from __future__ import annotations

from pathlib import Path

from search.interface import (
    Hit,
    IndexBusy,
    QueryError,
    ReconcileReport,
    SearchIndex,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "Hit",
    "IndexBusy",
    "QueryError",
    "ReconcileReport",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "open_index",
]


def open_index(
    root: Path, *, lock_timeout: float = 10.0, retain_seconds: float = 60.0
) -> SearchIndex:
    """Open (creating if missing) the index stored under ``root`` = ``var/search/<slug>/``.

    An unreadable index is set aside and replaced by an empty one; ``idx.recovery`` then says
    why, and the caller should rebuild it from the database.
    """
    from search.whoosh_backend import WhooshIndex

    return WhooshIndex(Path(root), lock_timeout=lock_timeout, retain_seconds=retain_seconds)
