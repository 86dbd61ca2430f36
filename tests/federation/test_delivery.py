"""Delivery that loses nothing, against the bovine peer: our signed POST verified by bovine,
retries on Mastodon's schedule (shrunk by FEDERATION_RETRY_SCALE), no retry on a final 4xx,
one delivery per inbox, refused and unavailable servers skipped, and a server that answers
again made available."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.app import create_app
from maillon.db import db
from maillon.federation import delivery
from maillon.federation.models import Delivery, ServerHealth
from maillon.jobs.worker import work
from tests.federation.conftest import instance_row


def _activity(ours: str, n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Update",
        "id": f"{ours}/activities/{n}",
        "actor": f"{ours}/actor",
        "object": f"{ours}/actor",
    }


def _queue(app: Flask, activity: dict[str, Any], inboxes: list[str]) -> list[int]:
    with app.app_context():
        rows = delivery.queue_delivery(db.session, instance_row("reseau"), None, activity, inboxes)
        db.session.commit()
        return [r.id for r in rows]


def _row(app: Flask, delivery_id: int) -> Delivery:
    with app.app_context():
        row = db.session.scalar(select(Delivery).where(Delivery.id == delivery_id))
        assert row is not None
        return row


def _drain(app: Flask) -> None:
    work(app, threading.Event(), once=True)


def test_bovine_verifies_our_signed_delivery(app, ours, peer):
    [delivery_id] = _queue(app, _activity(ours), [f"{peer.origin}/inbox"])
    _drain(app)
    row = _row(app, delivery_id)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 1, 202)
    [received] = peer.received
    assert received["signer"] == f"{ours}/actor"  # bovine checked it against our key
    assert received["activity"]["id"] == f"{ours}/activities/1"


def test_server_errors_are_retried_until_delivered(app, ours, peer):
    peer.answers = [500, 503, 429]
    [delivery_id] = _queue(app, _activity(ours), [f"{peer.origin}/inbox"])
    _drain(app)
    row = _row(app, delivery_id)
    assert (row.status, row.attempts) == ("delivered", 4)
    assert len(peer.received) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 410, 501])
def test_a_final_answer_is_not_retried(app, ours, peer, status):
    peer.answers = [status]
    [delivery_id] = _queue(app, _activity(ours), [f"{peer.origin}/inbox"])
    _drain(app)
    row = _row(app, delivery_id)
    assert (row.status, row.attempts, row.last_error) == ("rejected", 1, f"HTTP {status}")
    assert peer.received == []


def test_spent_tries_expire_and_days_of_them_make_a_server_unavailable(app, ours, peer):
    app.config["FEDERATION_UNAVAILABLE_DAYS"] = 1
    peer.answers = [500] * delivery.MAX_ATTEMPTS
    [delivery_id] = _queue(app, _activity(ours), [f"{peer.origin}/inbox"])
    _drain(app)
    row = _row(app, delivery_id)
    assert (row.status, row.attempts) == ("expired", delivery.MAX_ATTEMPTS)
    with app.app_context():
        health = db.session.scalar(
            select(ServerHealth).where(ServerHealth.host == "bovine.localhost")
        )
        assert health is not None and health.unavailable_since is not None
    # Unavailable: nothing more is queued for it.
    assert _queue(app, _activity(ours, 2), [f"{peer.origin}/inbox"]) == []
    # It talks to us again: available.
    federate_follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Follow",
        "id": f"{peer.origin}/activities/f",
        "actor": peer.actor_id,
        "object": f"{ours}/actor",
    }
    assert peer.post(f"{ours}/inbox", federate_follow)[0] == 202
    assert len(_queue(app, _activity(ours, 3), [f"{peer.origin}/inbox"])) == 1


def test_one_delivery_per_inbox_and_none_to_refused_servers(app, ours, peer, federate):
    shared = f"{peer.origin}/inbox"
    actors = [
        {"inbox": f"{peer.origin}/users/{n}/inbox", "endpoints": {"sharedInbox": shared}}
        for n in range(3)
    ] + [{"inbox": "https://solo.example/inbox"}]
    assert delivery.delivery_inboxes(actors) == [shared, "https://solo.example/inbox"]
    first = _queue(app, _activity(ours), [shared, shared])
    assert len(first) == 1 and _queue(app, _activity(ours), [shared]) == []
    federate("reseau", servers=[{"domain": "bovine.localhost", "severity": "suspend"}])
    assert _queue(app, _activity(ours, 2), [shared]) == []
    # Queued before the block: refused when its try comes, without a request.
    _drain(app)
    assert _row(app, first[0]).status == "rejected"
    assert ("POST", "/inbox") not in peer.requests


def test_a_queued_delivery_survives_a_restart(app, app_config, ours, peer):
    [delivery_id] = _queue(app, _activity(ours), [f"{peer.origin}/inbox"])
    # Another process (a restarted worker) finds the job in the database.
    restarted = create_app(
        {**app_config, "SERVER_PORT": app.config["SERVER_PORT"], "FEDERATION_DEV_NETWORK": True}
    )
    try:
        work(restarted, threading.Event(), once=True)
    finally:
        for name in ("maillon.engine", "maillon.engine.write"):
            engine = restarted.extensions.get(name)
            if engine is not None:
                engine.dispose()
        for index in restarted.extensions.get("maillon.search", {}).values():
            index.close()
    assert _row(app, delivery_id).status == "delivered"


def test_the_schedule_is_mastodons():
    # 16 tries: 15 waits of n^4 + 15 s plus up to half of n^4: about 2.1 to 3.1 days.
    low = sum(
        delivery.retry_delay(n, rng=random.Random(0)) * 0 + n**4 + 15
        for n in range(1, delivery.MAX_ATTEMPTS)
    )
    assert 49 * 3600 < low < 50 * 3600
    rng = random.Random(1)
    waits = [delivery.retry_delay(n, rng=rng) for n in range(1, delivery.MAX_ATTEMPTS)]
    assert all(n**4 + 15 <= w <= 1.5 * n**4 + 15 for n, w in enumerate(waits, 1))
    assert delivery.retry_delay(3, scale=0.0) == 0


def test_admins_see_the_queue_and_the_failures_per_server(app, ours, peer, login, create_member):
    peer.answers = [403]
    _queue(app, _activity(ours), [f"{peer.origin}/inbox"])
    _drain(app)
    _queue(app, _activity(ours, 2), [f"{peer.origin}/inbox"])  # waiting
    admin = create_member("reseau", role="admin", name="Ada Admin", locale="en")
    with app.app_context():
        from tests.federation.conftest import member_row

        overview = delivery.delivery_overview(
            db.session, instance_row("reseau"), member_row(admin.id)
        )
    assert (overview["queued"], overview["rejected"], overview["delivered"]) == (1, 1, 0)
    [server] = overview["servers"]
    assert (server["host"], server["queued"], server["failed"]) == ("bovine.localhost", 1, 1)
    page = login(admin).get("/admin/federation").get_data(as_text=True)
    assert "bovine.localhost" in page and "Waiting: 1" in page


def test_finished_deliveries_are_pruned_after_30_days(app, ours):
    from datetime import timedelta

    from maillon.db import utcnow

    ids = _queue(app, _activity(ours), ["https://gone.example/inbox", "https://kept.example/inbox"])
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        rows[0].status, rows[0].finished_at = "expired", utcnow() - timedelta(days=31)
        db.session.commit()
        delivery.prune_deliveries(db.session)
        assert db.session.scalars(select(Delivery.id)).all() == [ids[1]]
