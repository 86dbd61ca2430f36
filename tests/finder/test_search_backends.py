"""MAILLON_SEARCH_BACKEND: the backend is chosen at start, and a setting that cannot work
stops the start with a clear message."""

from pathlib import Path
from typing import Any

import pytest

from maillon import create_app
from maillon.finder.backends import SearchBackendError, backend_name
from maillon.finder.indexing import get_index
from search.postgres_backend import PostgresIndex
from search.whoosh_backend import WhooshIndex
from tests.conftest import TEST_DB_URL, skip_or_fail


def test_unknown_backend_or_postgres_without_postgresql_refuses_to_start(
    app_config: dict[str, Any],
) -> None:
    with pytest.raises(SearchBackendError, match="not a search backend"):
        create_app({**app_config, "SEARCH_BACKEND": "elastic"})
    with pytest.raises(SearchBackendError, match="must be a PostgreSQL URL"):
        create_app({**app_config, "SEARCH_BACKEND": "postgres",
                    "DATABASE_URL": "sqlite:///var/maillon.db"})
    assert backend_name({"SEARCH_BACKEND": " Postgres ",
                         "DATABASE_URL": "postgresql+psycopg://u@h/db"}) == "postgres"
    assert backend_name({}) == "whoosh"


def test_get_index_opens_the_configured_backend(app_config: dict[str, Any],
                                                tmp_path: Path) -> None:
    app = create_app({**app_config, "SEARCH_BACKEND": "whoosh"})
    index = get_index("reseau", app)
    assert isinstance(index, WhooshIndex) and index.root == tmp_path / "var" / "search" / "reseau"
    if not TEST_DB_URL.startswith("postgresql"):
        skip_or_fail("MAILLON_TEST_DATABASE_URL does not name a PostgreSQL database")
    app = create_app({**app_config, "SEARCH_BACKEND": "postgres", "DATABASE_URL": TEST_DB_URL})
    index = get_index("reseau", app)
    try:
        assert isinstance(index, PostgresIndex) and index.namespace == "reseau"
        assert get_index("reseau", app) is index  # one handle per instance per process
    finally:
        index.close()
