"""Which search backend keeps the instances' indexes: Whoosh files or PostgreSQL tables.

``MAILLON_SEARCH_BACKEND=whoosh`` (the default) keeps one index per instance under
``var/search/<slug>/``: every web process must see the worker's ``var/``.  ``postgres`` keeps
them in the app's own PostgreSQL database (namespace = the instance's slug), so web processes
on several machines need no shared directory.  Both answer queries identically (docs/search.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from search import SearchIndex, open_index, open_postgres_index

BACKENDS = ("whoosh", "postgres")


class SearchBackendError(RuntimeError):
    """The search backend settings cannot work; raised when the app starts."""


def backend_name(config: Mapping[str, Any]) -> str:
    """The configured backend, checked against the database it needs."""
    name = str(config.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    if name not in BACKENDS:
        raise SearchBackendError(
            f"MAILLON_SEARCH_BACKEND={name!r} is not a search backend; use one of "
            f"{', '.join(BACKENDS)}.")
    if name == "postgres":
        url = str(config.get("DATABASE_URL") or "")
        scheme = url.partition(":")[0].split("+")[0]
        if scheme not in ("postgresql", "postgres"):
            raise SearchBackendError(
                "MAILLON_SEARCH_BACKEND=postgres keeps the search indexes in the app's database, "
                "so MAILLON_DATABASE_URL must be a PostgreSQL URL "
                f"(postgresql+psycopg://user@host/db), not {scheme or 'unset'!r}.")
    return name


def open_instance_index(app: Flask, slug: str, whoosh_root: Path) -> SearchIndex:
    """Open an instance's index with the configured backend."""
    if backend_name(app.config) == "postgres":
        return open_postgres_index(app.config["DATABASE_URL"], slug)
    return open_index(whoosh_root)
