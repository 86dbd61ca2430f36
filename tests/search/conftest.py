"""Fixtures for the search package: small hand-written profiles in French and English.

Every index test runs on both backends (the ``backend`` fixture): Whoosh files under
tmp_path, and PostgreSQL when MAILLON_TEST_DATABASE_URL names a PostgreSQL database (each test
gets its own namespaces, removed afterwards).  Without one the PostgreSQL variant is skipped
with its reason, or fails under MAILLON_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search import SearchIndex, open_index, open_postgres_index
from search import storage as layout
from tests.conftest import TEST_DB_URL, skip_or_fail

BACKENDS = ("whoosh", "postgres")

PROFILES: list[dict[str, Any]] = [
    {
        "id": "zoe",
        "name": "Zoé Martin",
        "headline": "Développeuse Python",
        "organisation": "ACME",
        "location": "Québec",
        "skills": ["Python", "Machine Learning"],
        "summary": "J'aime le machine learning. Ancienne élève de l'École polytechnique.",
        "language": "fr",
        "open_to_opportunities": True,
    },
    {
        "id": "john",
        "name": "John Smith",
        "headline": "Research director",
        "organisation": "Globex",
        "location": "Lyon",
        "skills": ["Java", "Leadership"],
        "summary": "Developer of learning machines; I led teams building compilers.",
        "language": "en",
    },
    {
        "id": "marie",
        "name": "Marie Dubois",
        "headline": "Chercheuse en physique",
        "organisation": "Institut Curie",
        "location": "Paris",
        "skills": ["Physique", "python"],
        "summary": "Directrice de laboratoire, informaticienne de formation.",
        "language": "fr",
    },
    {
        "id": "paul",
        "name": "Paul Ingénieur",
        "headline": "Ingénieure logicielle",
        "organisation": "ACME",
        "location": "Montréal",
        "skills": ["Rust"],
        "summary": "Développement de systèmes embarqués et de réseaux.",
        "experiences": "Chef de projet chez Globex (2015-2019): gestion de projet agile.",
        "language": "fr",
        "open_to_opportunities": True,
    },
]


class Backend:
    """Opens indexes named by the tests on one backend, and undoes what they left behind."""

    def __init__(self, name: str, tmp_path: Path, url: str = "") -> None:
        self.name = name
        self.tmp_path = tmp_path
        self.url = url
        self.prefix = f"t{uuid.uuid4().hex[:10]}"
        self.opened: list[SearchIndex] = []

    def location(self, name: str) -> str:
        """What ``open`` takes for this index: a directory, or a PostgreSQL namespace."""
        if self.name == "whoosh":
            return str(self.tmp_path / name)
        return f"{self.prefix}-{name}"

    def open(self, name: str = "main", **options: Any) -> SearchIndex:
        idx: SearchIndex
        if self.name == "whoosh":
            idx = open_index(Path(self.location(name)), **options)
        else:
            options.pop("retain_seconds", None)  # no generations to keep in PostgreSQL
            idx = open_postgres_index(self.url, self.location(name), **options)
        self.opened.append(idx)
        return idx

    @contextlib.contextmanager
    def writer_lock(self, name: str) -> Iterator[None]:
        """Hold the index's writer lock the way another process would."""
        if self.name == "whoosh":
            with layout.writer_lock(self.tmp_path / name, timeout=1):
                yield
            return
        import psycopg

        from search.postgres_backend import conninfo

        with psycopg.connect(conninfo(self.url)) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                         (f"maillon.search:{self.location(name)}",))
            yield

    def cleanup(self) -> None:
        for idx in self.opened:
            if self.name == "postgres":
                idx.drop()  # type: ignore[attr-defined]
            idx.close()


def _postgres_url() -> str:
    """The test PostgreSQL database, or skip (fail under MAILLON_REQUIRE_SERVICES=1)."""
    if not TEST_DB_URL.startswith("postgresql"):
        skip_or_fail("PostgreSQL search backend not tested: MAILLON_TEST_DATABASE_URL does not "
                     "name a PostgreSQL database")
    import psycopg

    from search.postgres_backend import conninfo

    try:
        psycopg.connect(conninfo(TEST_DB_URL), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL search backend not tested: cannot connect ({exc})")
    return TEST_DB_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = _postgres_url() if request.param == "postgres" else ""
    chosen = Backend(request.param, tmp_path, url)
    yield chosen
    chosen.cleanup()


@pytest.fixture
def make_index(backend: Backend) -> Callable[..., SearchIndex]:
    """Factory: ``make_index("a", docs)`` opens the index "a" holding ``docs``."""

    def make(
        name: str = "main", docs: list[dict[str, Any]] | None = None, **options: Any
    ) -> SearchIndex:
        idx = backend.open(name, **options)
        if docs:
            idx.upsert(docs)
        return idx

    return make


@pytest.fixture
def index(make_index: Callable[..., SearchIndex]) -> SearchIndex:
    return make_index("main", PROFILES)
