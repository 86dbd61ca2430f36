"""Instance rows cached per process: no query to resolve the tenant, each request its own copy,
this process's edits at once, another process's within INSTANCE_CACHE_SECONDS."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from maillon import create_app
from maillon.db import db
from maillon.tenancy.models import Instance
from maillon.tenancy.services import instance_cache, update_instance_setting


@pytest.fixture
def cached_app(app: Flask, app_config: dict[str, Any]) -> Any:
    """A second app on the test database (the ``app`` fixture makes and cleans it), with the
    instance cache on."""
    cached = create_app({**app_config, "INSTANCE_CACHE_SECONDS": 3600})
    yield cached
    cached.extensions["maillon.engine"].dispose()


def _instance_queries(app: Flask) -> list[str]:
    seen: list[str] = []

    @event.listens_for(app.extensions["maillon.engine"], "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM instances" in statement:
            seen.append(statement)

    return seen


def test_the_instance_is_resolved_without_a_query_once_cached(cached_app: Flask) -> None:
    seen = _instance_queries(cached_app)
    client = cached_app.test_client()
    for slug in ("reseau", "acme", "reseau", "acme"):
        response = client.get("/api/v1/openapi.json", base_url=f"http://{slug}.localhost")
        assert response.status_code == 200
    rows = [s for s in seen if "WHERE instances.slug" in s]
    assert len(rows) == 2  # one per instance, then from the cache
    # Besides, the registry reads every row once per INSTANCE_REFRESH_SECONDS (an hour here).
    assert len(seen) - len(rows) == 1


def test_each_request_gets_its_own_copy_of_its_own_instance(cached_app: Flask) -> None:
    with cached_app.app_context():
        first = instance_cache(cached_app).find(db.session, "reseau")
        again = instance_cache(cached_app).find(db.session, "reseau")
        other = instance_cache(cached_app).find(db.session, "acme")
        assert first is again  # one identity per session
        assert first is not None and other is not None
        assert (first.slug, other.slug) == ("reseau", "acme")
        first_id = first.id
    with cached_app.app_context():
        copy = instance_cache(cached_app).find(db.session, "reseau")
        assert copy is not first and copy.id == first_id  # a new session, a new object
        copy.overrides["registration.policy"] = "invite"  # even a careless in-place change…
    with cached_app.app_context():
        fresh = instance_cache(cached_app).find(db.session, "reseau")
        assert "registration.policy" not in fresh.overrides  # …does not reach other requests


def test_an_edit_through_this_process_applies_at_once(cached_app: Flask) -> None:
    with cached_app.app_context():
        instance = instance_cache(cached_app).find(db.session, "reseau")
        update_instance_setting(db.session, instance, "registration.policy", "invite")
    with cached_app.app_context():
        assert instance_cache(cached_app).find(db.session, "reseau").setting(
            "registration.policy") == "invite"


def test_an_edit_by_another_process_applies_once_the_cache_expires(cached_app: Flask) -> None:
    with cached_app.app_context():
        assert instance_cache(cached_app).find(db.session, "reseau") is not None
        db.session.execute(update(Instance).where(Instance.slug == "reseau").values(
            overrides={"registration.policy": "invite"}))  # as another process would
        db.session.commit()
    with cached_app.app_context():
        cache = instance_cache(cached_app)
        assert cache.find(db.session, "reseau").setting("registration.policy") != "invite"
        cache.seconds = 0  # the time has passed
        assert cache.find(db.session, "reseau").setting("registration.policy") == "invite"
        assert db.session.scalar(select(Instance.slug).where(Instance.slug == "reseau"))
