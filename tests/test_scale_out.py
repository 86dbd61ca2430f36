"""Several machines: two web processes with separate var/ directories, one jobs worker, on
one PostgreSQL (search in it too) and one Redis. A write through one web process is what the
other serves: profile, search, chains."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.members.models import Member
from tests.conftest import skip_or_fail
from tests.processes import Processes, request, wait_for

REDIS_URL = os.environ.get("MAILLON_TEST_REDIS_URL", "redis://127.0.0.1:6379")

pytestmark = pytest.mark.postgres


@pytest.fixture
def deployment(app: Flask, processes: Processes) -> tuple[int, int]:
    """Ports of web processes A and B (and a jobs worker), as docs/operations.md lays out N
    machines: shared PostgreSQL and Redis, nothing else shared."""
    if app.extensions["maillon.engine"].dialect.name != "postgresql":
        skip_or_fail("needs PostgreSQL (set MAILLON_TEST_DATABASE_URL)")
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        client.close()
    shared = {"SEARCH_BACKEND": "postgres", "RATELIMIT_STORAGE_URI": REDIS_URL,
              "RATELIMIT_KEY_PREFIX": f"maillon-test-{uuid.uuid4().hex}",
              "JOB_POLL_SECONDS": "0.1"}
    processes.worker("worker", **shared)
    return processes.server("web-a", **shared), processes.server("web-b", **shared)


def _token(app: Flask, member: Member) -> str:
    with app.app_context():
        return issue_api_token(db.session, member)


def test_a_profile_change_through_one_process_is_served_by_the_other(
        app: Flask, create_member: Callable[..., Member], deployment: tuple[int, int]) -> None:
    a, b = deployment
    member = create_member("reseau", name="Odile Varenne")
    token = _token(app, member)
    status, body = request(a, "PATCH", "/api/v1/me", {"headline": "Luthière à Nantes"},
                           token=token)
    assert status == 200, body
    status, body = request(b, "GET", f"/api/v1/members/{member.id}", token=token)
    assert status == 200, body
    assert body["headline"] == "Luthière à Nantes"


def test_a_profile_indexed_by_the_worker_is_found_through_the_other_process(
        app: Flask, create_member: Callable[..., Member], deployment: tuple[int, int]) -> None:
    a, b = deployment
    searcher = create_member("reseau")
    member = create_member("reseau", name="Basile Orchidée")
    token = _token(app, searcher)
    word = "zygomorphe"

    def found_by_b() -> Any:
        status, body = request(b, "GET", f"/api/v1/search?q={word}", token=token)
        assert status in (200, 503), body  # 503 while an index is being (re)built
        return status == 200 and [hit["id"] for hit in body["results"]]

    assert request(b, "GET", f"/api/v1/search?q={word}", token=token)[0] in (200, 503)
    owner = _token(app, member)
    status, body = request(a, "PATCH", "/api/v1/me", {"headline": f"Botaniste {word}"},
                           token=owner)
    assert status == 200, body
    assert wait_for(found_by_b, "the worker to index the change") == [member.id]


def test_a_connection_made_through_one_process_lengthens_chains_in_the_other(
        app: Flask, create_member: Callable[..., Member], deployment: tuple[int, int]) -> None:
    a, b = deployment
    x, v, t = (create_member("reseau", name=n) for n in ("Xavier", "Valérie", "Thérèse"))
    tokens = {m.id: _token(app, m) for m in (x, v, t)}
    status, body = request(b, "GET", f"/api/v1/members/{t.id}/paths", token=tokens[x.id])
    assert status == 200 and body["paths"] == [], body  # B has loaded its graph: no chain yet

    for left, right in ((x, v), (v, t)):
        status, body = request(a, "POST", "/api/v1/connections", {"member_id": right.id},
                               token=tokens[left.id])
        assert status in (200, 201), body
        status, body = request(a, "POST", f"/api/v1/connections/{body['id']}/accept", {},
                               token=tokens[right.id])
        assert status == 200, body

    status, body = request(b, "GET", f"/api/v1/members/{t.id}/paths", token=tokens[x.id])
    assert status == 200, body
    assert body["degree"] == 2
    assert [p["hops"] for p in body["paths"]] == [2]
    assert [m["id"] for m in body["paths"][0]["members"]] == [v.id]
