"""Telling remote connections about a member: an edited profile becomes one Update{Person}
per server (a burst of edits, one Update; a newer Update replaces one still waiting), a
hidden profile is announced as Mastodon's ``suspended``, a deleted account sends Delete and
its actor answers 410 Gone (decision 52). The delivery to the bovine peer is verified by
bovine."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.federation.models import Delivery, RemoteActor, RemoteConnection
from maillon.jobs.models import Job
from maillon.jobs.worker import work
from maillon.members.models import Member
from tests.api.conftest import bearer
from tests.conftest import PASSWORD
from tests.federation.conftest import instance_row, member_row

ACTIVITY = {"Accept": "application/activity+json"}


@pytest.fixture(autouse=True)
def _no_wait(app: Flask) -> None:
    app.config.update(FEDERATION_UPDATE_DELAY_SECONDS=0)


def _connected(
    app: Flask,
    member: Member,
    uri: str = "https://remote.example/users/bob",
    status: str = "connected",
    shared: str | None = "https://remote.example/inbox",
) -> None:
    with app.app_context():
        instance = instance_row("reseau")
        remote = db.session.scalar(select(RemoteActor).where(RemoteActor.uri == uri))
        if remote is None:
            remote = RemoteActor(
                instance_id=instance.id,
                uri=uri,
                inbox=f"{uri}/inbox",
                shared_inbox=shared,
                handle="bob@remote.example",
                name="Bob",
            )
            db.session.add(remote)
            db.session.flush()
        db.session.add(
            RemoteConnection(
                instance_id=instance.id,
                member_id=member.id,
                remote_actor_id=remote.id,
                status=status,
                follow_id=f"{uri}/follows/{member.id}",
            )
        )
        db.session.commit()


def _deliveries(app: Flask) -> list[Delivery]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        db.session.expunge_all()
        return list(rows)


def _drain(app: Flask) -> None:
    work(app, threading.Event(), once=True)


def _edit(app: Flask, member: Member, **changes: Any) -> None:
    from maillon.members.profiles import update_profile

    with app.app_context():
        update_profile(db.session, member_row(member.id), changes)


def _updates_queued(app: Flask) -> list[Delivery]:
    return [d for d in _deliveries(app) if d.payload["type"] == "Update" and d.status == "queued"]


def _announce_jobs(app: Flask) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(Job).where(Job.kind == "federation_announce", Job.status == "queued")
            ).all()
        )


@pytest.fixture
def keyed(app, create_member, federate, opt_in):
    """A federated member with a key and two connections on one server (one shared inbox)."""
    from maillon.federation.keys import ensure_key

    federate("reseau")
    member = create_member("reseau", name="Ada Lovelace", locale="en")
    opt_in(member)
    _connected(app, member)
    _connected(app, member, "https://remote.example/users/carol")
    with app.app_context():
        ensure_key(db.session, instance_row("reseau"), member_row(member.id))
    return member


def test_a_profile_edit_sends_one_update_per_server_with_the_new_profile(app, keyed):
    _edit(app, keyed, headline="Analyst of engines")
    assert _announce_jobs(app) == 1
    _run_announcements(app)
    [update] = _updates_queued(app)
    assert update.inbox == "https://remote.example/inbox"  # both people, one server
    assert update.signer == f"m{keyed.id}"
    person = update.payload["object"]
    assert person["type"] == "Person" and "Analyst of engines" in person["summary"]
    assert person["id"] == update.payload["actor"]


def test_a_burst_of_edits_sends_one_update_with_the_last_state(app, keyed):
    _edit(app, keyed, headline="First")
    _edit(app, keyed, headline="Second")
    _edit(app, keyed, name="Ada King")
    assert _announce_jobs(app) == 1  # the later edits were absorbed by the waiting job
    _run_announcements(app)
    [update] = _updates_queued(app)
    assert update.payload["object"]["name"] == "Ada King"
    assert "Second" in update.payload["object"]["summary"]


def _run_announcements(app: Flask) -> None:
    from maillon.federation.announcements import run_announcement

    with app.app_context():
        for job in db.session.scalars(
            select(Job).where(Job.kind == "federation_announce", Job.status == "queued")
        ).all():
            run_announcement(db.session, job)
            job.status = "done"
        db.session.commit()


def test_a_newer_update_replaces_one_still_waiting_for_the_server(app, keyed):
    _edit(app, keyed, headline="First")
    _run_announcements(app)
    [first] = _updates_queued(app)
    _edit(app, keyed, headline="Second")
    _run_announcements(app)
    [waiting] = _updates_queued(app)
    assert waiting.activity_id != first.activity_id
    assert "Second" in waiting.payload["object"]["summary"]


def test_a_delivered_update_is_not_replaced(app, keyed):
    _edit(app, keyed, headline="First")
    _run_announcements(app)
    with app.app_context():
        row = db.session.scalar(select(Delivery))
        row.status = "delivered"
        db.session.commit()
    _edit(app, keyed, headline="Second")
    _run_announcements(app)
    assert [d.status for d in _deliveries(app)] == ["delivered", "queued"]


def test_an_edit_without_remote_connections_announces_nothing(app, create_member, federate, opt_in):
    federate("reseau")
    member = create_member("reseau", name="Stay Home", locale="en")
    opt_in(member)
    _connected(app, member, status="requested")  # a request waiting is no connection yet
    _edit(app, member, headline="Local only")
    assert _announce_jobs(app) == 0


def test_leaving_the_directory_announces_a_suspended_actor_without_the_profile(app, keyed):
    _edit(app, keyed, headline="Secret headline")
    _edit(app, keyed, visibility={"in_directory": False})
    _run_announcements(app)
    [update] = _updates_queued(app)
    person = update.payload["object"]
    assert person["suspended"] is True
    assert person["name"] == "" and person["summary"] == ""
    assert "Secret headline" not in str(update.payload)
    assert "toot:suspended" in str(person["@context"])
    # Back in the directory: the full profile again, no longer suspended.
    _edit(app, keyed, visibility={"in_directory": True})
    _run_announcements(app)
    [update] = _updates_queued(app)
    assert "suspended" not in update.payload["object"]
    assert update.payload["object"]["name"] == "Ada Lovelace"


def test_turning_on_discoverable_is_announced(app, keyed, opt_in):
    opt_in(keyed, discoverable=True)
    _run_announcements(app)
    [update] = _updates_queued(app)
    assert update.payload["object"]["discoverable"] is True


def test_deleting_the_account_drops_waiting_updates_and_sends_delete(app, keyed):
    from maillon.rights.deletion import delete_own_account

    _connected(app, keyed, "https://other.example/users/dan", status="requested", shared=None)
    _edit(app, keyed, headline="Soon gone")
    _run_announcements(app)
    assert len(_updates_queued(app)) == 1
    with app.app_context():
        delete_own_account(
            db.session, instance_row("reseau"), member_row(keyed.id), password=PASSWORD
        )
    rows = _deliveries(app)
    assert {d.payload["type"] for d in rows} == {"Delete"}
    # Their connections and the person whose request was waiting are told.
    assert {d.inbox for d in rows} == {
        "https://remote.example/inbox",
        "https://other.example/users/dan/inbox",
    }
    _run_announcements(app)  # a job queued before the deletion sends nothing now
    assert {d.payload["type"] for d in _deliveries(app)} == {"Delete"}


def test_a_deleted_members_actor_and_handle_answer_gone(app, keyed, client_for, create_member):
    from maillon.rights.deletion import delete_own_account

    with app.app_context():
        from maillon.federation.membership import find_federated_member

        handle = find_federated_member(db.session, instance_row("reseau"), keyed.id).handle
        delete_own_account(
            db.session, instance_row("reseau"), member_row(keyed.id), password=PASSWORD
        )
    client = client_for("reseau")
    gone = client.get(f"/ap/members/{keyed.id}", headers=ACTIVITY)
    assert gone.status_code == 410
    assert gone.get_json()["type"] == "Tombstone"
    assert gone.get_json()["id"].endswith(f"/ap/members/{keyed.id}")
    host = gone.get_json()["id"].split("://")[1].split("/")[0]
    finger = client.get(f"/.well-known/webfinger?resource=acct:{handle}@{host}")
    assert finger.status_code == 410 and finger.get_json()["error"]["code"] == "gone"
    # An account that never opened itself to other servers stays a plain 404 once deleted,
    # as does one that is only hidden.
    never = create_member("reseau", name="Never Federated")
    with app.app_context():
        delete_own_account(
            db.session, instance_row("reseau"), member_row(never.id), password=PASSWORD
        )
    assert client.get(f"/ap/members/{never.id}", headers=ACTIVITY).status_code == 404


def test_a_hidden_member_is_not_gone(app, create_member, federate, opt_in, client_for):
    federate("reseau")
    member = create_member("reseau", name="Hiding Away", locale="en")
    opt_in(member)
    _edit(app, member, visibility={"in_directory": False})
    assert (
        client_for("reseau").get(f"/ap/members/{member.id}", headers=ACTIVITY).status_code
        == 404
    )


def test_an_api_profile_edit_is_announced(app, keyed, client_for):
    from maillon.accounts.services import issue_api_token

    with app.app_context():
        token = issue_api_token(db.session, member_row(keyed.id))
    answer = client_for("reseau").patch(
        "/api/v1/me", json={"headline": "Through the API"}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    _run_announcements(app)
    [update] = _updates_queued(app)
    assert "Through the API" in update.payload["object"]["summary"]


def test_the_bovine_peer_receives_the_update_and_the_delete_signed_by_the_member(
    app, ours, peer, ada, login
):
    from tests.federation.test_connections import _follow

    actor = f"{ours}/ap/members/{ada.id}"
    assert peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, actor))[0] == 202
    _drain(app)
    with app.app_context():
        connection = db.session.scalar(select(RemoteConnection))
    login(ada).post(f"/settings/federation/requests/{connection.id}/accept")
    _drain(app)
    _edit(app, ada, headline="Countess of Lovelace")
    _drain(app)
    [update] = [r for r in peer.received if r["activity"]["type"] == "Update"]
    assert update["signer"] == actor  # bovine verified Ada's signature
    assert "Countess of Lovelace" in update["activity"]["object"]["summary"]
    with app.app_context():
        from maillon.rights.deletion import delete_own_account

        delete_own_account(
            db.session, instance_row("reseau"), member_row(ada.id), password=PASSWORD
        )
    _drain(app)
    [deleted] = [r for r in peer.received if r["activity"]["type"] == "Delete"]
    assert deleted["signer"] == actor and deleted["activity"]["object"] == actor
    status, _ = peer.get(actor)
    assert status == 410
