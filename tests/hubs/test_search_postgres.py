"""The thread search's tests again with the PostgreSQL search backend (the namespace
``<slug>@threads`` in the app's database): same answers, same exclusions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_DB_URL, skip_or_fail
from tests.hubs.test_search import (  # noqa: F401  (collected here with this module's app)
    indexed,
    test_a_removed_thread_is_gone_before_the_worker_runs,
    test_a_request_hub_thread_is_never_found_by_outsiders,
    test_reindex_and_reconcile_rebuild_the_thread_index,
    test_staff_find_every_thread_and_leaving_a_hub_hides_its_threads,
    test_threads_are_found_through_the_outbox,
)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    if not TEST_DB_URL.startswith("postgresql"):
        skip_or_fail("MAILLON_TEST_DATABASE_URL does not name a PostgreSQL database")
    return {**app_config, "SEARCH_BACKEND": "postgres"}
