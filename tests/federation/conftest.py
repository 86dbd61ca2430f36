"""Federation test helpers: an instance's policy set through the service, members opted in."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from maillon.db import db
from maillon.federation import membership, policy
from maillon.members.models import Member
from maillon.tenancy.models import Instance
from tests.conftest import skip_or_fail
from tests.processes import free_port

MISSING = [name for name in ("bovine", "aiohttp") if importlib.util.find_spec(name) is None]
if not MISSING:
    from tests.federation.peer import Peer, start_peer, stop_peer

AS = "https://www.w3.org/ns/activitystreams"


def instance_row(slug: str) -> Instance:
    row = db.session.scalar(select(Instance).where(Instance.slug == slug))
    assert row is not None
    return row


def member_row(member_id: int) -> Member:
    row = db.session.scalar(select(Member).where(Member.id == member_id))
    assert row is not None
    return row


@pytest.fixture
def federate(app: Flask, create_member: Callable[..., Member]) -> Callable[..., None]:
    """Set an instance's policy as its admin would (``servers``: rule dicts)."""

    def set_policy(slug: str, mode: str = "blocklist", **change: Any) -> None:
        admin = create_member(slug, role="admin", name=f"Admin {slug}")
        with app.app_context():
            policy.change_policy(
                db.session, instance_row(slug), member_row(admin.id), {"mode": mode, **change}
            )

    return set_policy


@pytest.fixture
def opt_in(app: Flask) -> Callable[..., str]:
    """A member opts in (and, by keyword, into discovery); returns their handle."""

    def choose(member: Member, **choices: bool) -> str:
        with app.app_context():
            slug = db.session.scalar(select(Instance.slug).where(Instance.id == member.instance_id))
            assert slug is not None
            state = membership.change_member_federation(
                db.session, instance_row(slug), member_row(member.id), {"enabled": True, **choices}
            )
            assert state.handle is not None
            return state.handle

    return choose


@pytest.fixture
def peer() -> Iterator[Peer]:
    """The bovine server, on loopback (skipped, or failed in CI, without bovine)."""
    if MISSING:
        skip_or_fail(f"{' and '.join(MISSING)} missing: pip install -e '.[test]'")
    started = start_peer()
    yield started
    stop_peer(started)


@pytest.fixture
def ours(app: Flask, federate: Any) -> Iterator[str]:
    """The app served on loopback, reseau federating: its origin."""
    port = free_port()
    app.config.update(SERVER_PORT=port, FEDERATION_DEV_NETWORK=True, FEDERATION_RETRY_SCALE=0.0)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    federate("reseau")
    yield f"http://reseau.localhost:{port}"
    server.shutdown()


@pytest.fixture
def ada(create_member: Callable[..., Member], opt_in: Callable[..., str]) -> Member:
    """A member of reseau reachable from other servers."""
    member = create_member("reseau", name="Ada Lovelace", locale="en")
    opt_in(member)
    return member


@pytest.fixture
def sisters(app: Flask, federate: Any, create_member: Callable[..., Member],
            opt_in: Callable[..., str]) -> dict[str, Any]:
    """Academia and Réseau Entraide both federating; Claire (academia) and Bruno (reseau)
    reachable from other servers, each with an API token."""
    from maillon.accounts.services import issue_api_token
    from tests.api.conftest import bearer

    app.config.update(FEDERATION_DEV_NETWORK=False, FEDERATION_RETRY_SCALE=0.0)
    federate("academia")
    federate("reseau")
    claire = create_member("academia", name="Claire Martin", locale="en")
    bruno = create_member("reseau", name="Bruno Marin", locale="en")
    people: dict[str, Any] = {}
    for key, member, slug in (("claire", claire, "academia"), ("bruno", bruno, "reseau")):
        handle = opt_in(member)
        with app.app_context():
            token = issue_api_token(db.session, member_row(member.id))
        people[key] = {"member": member, "address": f"@{handle}@{slug}.localhost", "slug": slug,
                       "auth": bearer(token)}
    return people
