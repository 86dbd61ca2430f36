"""Connections with people on another server, against the bovine peer: their Follow becomes a
request the member answers; an accepted one is answered with a signed Accept embedding the
Follow (verified by bovine) and our own Follow back; their Undo ends it. Remote people are
never members."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import func, select

from maillon.db import db
from maillon.federation.models import InboxActivity, RemoteActor, RemoteConnection
from maillon.jobs.worker import work
from maillon.members.models import Member
from tests.federation.conftest import AS

if TYPE_CHECKING:
    from tests.federation.peer import Peer


def _drain(app: Flask) -> None:
    work(app, threading.Event(), once=True)


def _follow(peer: Peer, target: str, n: int = 1) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{peer.origin}/follows/{n}",
        "type": "Follow",
        "actor": peer.actor_id,
        "object": target,
    }


def _connection(app: Flask) -> RemoteConnection | None:
    with app.app_context():
        return db.session.scalar(select(RemoteConnection))


def test_a_follow_is_a_request_and_accepting_it_answers_with_a_signed_accept(
    app, ours, peer, ada, login
):
    actor = f"{ours}/ap/members/{ada.id}"
    assert peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, actor))[0] == 202
    _drain(app)
    connection = _connection(app)
    assert connection is not None and connection.status == "requested"
    with app.app_context():
        remote = db.session.scalar(select(RemoteActor))
        assert remote is not None and remote.handle == f"bob@{peer.origin.split('://')[1]}"
        # A remote person is never a member.
        assert (
            db.session.scalar(select(func.count(Member.id)).where(Member.name == remote.name)) == 0
        )
    client = login(ada)
    page = client.get("/settings/federation").get_data(as_text=True)
    assert "Requests from other servers" in page and remote.handle in page
    answered = client.post(f"/settings/federation/requests/{connection.id}/accept")
    assert answered.status_code == 303
    _drain(app)
    assert _connection(app).status == "connected"
    kinds = {r["activity"]["type"]: r for r in peer.received}
    accept = kinds["Accept"]
    assert accept["signer"] == actor  # bovine verified Ada's signature with Ada's key
    assert accept["activity"]["object"]["id"] == f"{peer.origin}/follows/1"
    assert accept["activity"]["object"]["type"] == "Follow"
    follow_back = kinds["Follow"]["activity"]
    assert follow_back["actor"] == actor and follow_back["object"] == peer.actor_id
    assert _connection(app).our_follow_id == follow_back["id"]
    # Their Accept of our Follow is recorded.
    assert (
        peer.post(
            f"{ours}/inbox",
            {
                "@context": AS,
                "type": "Accept",
                "id": f"{peer.origin}/accepts/1",
                "actor": peer.actor_id,
                "object": follow_back["id"],
            },
        )[0]
        == 202
    )
    _drain(app)
    assert _connection(app).their_answer == "accepted"
    # Their Undo ends the connection.
    undo = {
        "@context": AS,
        "type": "Undo",
        "id": f"{peer.origin}/undos/1",
        "actor": peer.actor_id,
        "object": _follow(peer, actor),
    }
    assert peer.post(f"{ours}/inbox", undo)[0] == 202
    _drain(app)
    assert _connection(app).status == "removed"
    assert "Connections on other servers" in client.get("/settings/federation").get_data(
        as_text=True
    )


def test_declining_sends_a_reject(app, ours, peer, ada, login):
    actor = f"{ours}/ap/members/{ada.id}"
    peer.post(f"{ours}/inbox", _follow(peer, actor))
    _drain(app)
    connection = _connection(app)
    assert (
        login(ada).post(f"/settings/federation/requests/{connection.id}/decline").status_code == 303
    )
    _drain(app)
    assert _connection(app).status == "declined"
    [reject] = [r for r in peer.received if r["activity"]["type"] == "Reject"]
    assert reject["signer"] == actor
    assert not [r for r in peer.received if r["activity"]["type"] == "Follow"]


def test_follows_of_unreachable_members_and_foreign_undos_are_ignored(
    app, ours, peer, ada, create_member
):
    hidden = create_member("reseau", name="Not Opted")
    # To a member who did not opt in: nobody to ask, ignored.
    assert peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/ap/members/{hidden.id}"))[0] == 202
    _drain(app)
    assert _connection(app) is None
    with app.app_context():
        assert db.session.scalar(select(InboxActivity.status)) == "ignored"
    # A real request, then an Undo of its id by someone else: ignored.
    peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}", n=2))
    _drain(app)
    with app.app_context():
        from maillon.federation.inbox import process_activity  # noqa: F401

        row = db.session.scalar(select(RemoteConnection))
        assert row is not None
        db.session.add(
            InboxActivity(
                instance_id=row.instance_id,
                activity_id="https://evil.example/undo",
                type="Undo",
                actor="https://evil.example/users/eve",
                status="received",
                payload={
                    "type": "Undo",
                    "actor": "https://evil.example/users/eve",
                    "object": f"{peer.origin}/follows/2",
                },
            )
        )
        db.session.flush()
        from maillon.jobs.services import enqueue

        activity_id = db.session.scalar(
            select(InboxActivity.id).where(InboxActivity.activity_id == "https://evil.example/undo")
        )
        enqueue(
            db.session, "federation_inbox", {"activity": activity_id}, instance_id=row.instance_id
        )
        db.session.commit()
    _drain(app)
    assert _connection(app).status == "requested"


def test_another_members_request_is_not_found(app, ours, peer, ada, create_member, login):
    peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}"))
    _drain(app)
    connection = _connection(app)
    other = create_member("reseau", name="Other Member", locale="en")
    assert (
        login(other).post(f"/settings/federation/requests/{connection.id}/accept").status_code
        == 404
    )
    assert _connection(app).status == "requested"


def test_deleting_an_account_deletes_its_remote_connections(app, create_member, mail):
    from maillon.rights.deletion import delete_own_account
    from tests.conftest import PASSWORD
    from tests.federation.conftest import instance_row, member_row

    member = create_member("reseau", name="Leaving Soon")
    other = create_member("reseau", name="Staying Here")
    with app.app_context():
        instance = instance_row("reseau")
        remote = RemoteActor(
            instance_id=instance.id,
            uri="https://remote.example/users/bob",
            inbox="https://remote.example/users/bob/inbox",
            handle="bob",
            name="Bob",
        )
        db.session.add(remote)
        db.session.flush()
        for someone in (member, other):
            db.session.add(
                RemoteConnection(
                    instance_id=instance.id,
                    member_id=someone.id,
                    remote_actor_id=remote.id,
                    status="connected",
                    follow_id=f"https://remote.example/f/{someone.id}",
                )
            )
        db.session.commit()
        delete_own_account(db.session, instance, member_row(member.id), password=PASSWORD)
        left = db.session.scalars(select(RemoteConnection.member_id)).all()
    assert left == [other.id]


def _connected(app: Flask, member: Member, uri: str = "https://remote.example/users/bob") -> None:
    from tests.federation.conftest import instance_row

    with app.app_context():
        instance = instance_row("reseau")
        remote = RemoteActor(
            instance_id=instance.id,
            uri=uri,
            inbox=f"{uri}/inbox",
            shared_inbox="https://remote.example/inbox",
            handle="bob",
            name="Bob",
        )
        db.session.add(remote)
        db.session.flush()
        db.session.add(
            RemoteConnection(
                instance_id=instance.id,
                member_id=member.id,
                remote_actor_id=remote.id,
                status="connected",
                follow_id=f"{uri}/follows/1",
            )
        )
        db.session.commit()


def test_a_key_rotation_is_announced_with_update_person(app, create_member, federate, opt_in):
    from maillon.federation.cli import federation_group
    from maillon.federation.keys import ensure_key
    from maillon.federation.models import Delivery
    from tests.federation.conftest import instance_row, member_row

    federate("reseau")
    member = create_member("reseau", name="Key Holder")
    opt_in(member)
    _connected(app, member)
    _connected(app, member, "https://remote.example/users/carol")  # same server: one inbox
    with app.app_context():
        ensure_key(db.session, instance_row("reseau"), member_row(member.id))
    result = app.test_cli_runner().invoke(
        federation_group, ["rotate-keys", "--instance", "reseau", "--member", member.email]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        [row] = db.session.scalars(select(Delivery)).all()
        assert row.inbox == "https://remote.example/inbox" and row.payload["type"] == "Update"
        assert row.payload["object"]["publicKey"]["id"].endswith("#key-2")
        assert row.signer == f"m{member.id}"


def test_deleting_an_account_tells_its_remote_connections(
    app, create_member, federate, opt_in, mail
):
    from maillon.federation.keys import ensure_key
    from maillon.federation.models import Delivery
    from maillon.rights.deletion import delete_own_account
    from tests.conftest import PASSWORD
    from tests.federation.conftest import instance_row, member_row

    federate("reseau")
    member = create_member("reseau", name="Leaving Now")
    opt_in(member)
    _connected(app, member)
    with app.app_context():
        ensure_key(db.session, instance_row("reseau"), member_row(member.id))
        delete_own_account(
            db.session, instance_row("reseau"), member_row(member.id), password=PASSWORD
        )
        [row] = db.session.scalars(select(Delivery)).all()
    assert row.payload["type"] == "Delete" and row.payload["object"].endswith(
        f"/ap/members/{member.id}"
    )


def _update(peer: Peer, n: int, document: dict[str, Any]) -> dict[str, Any]:
    return {"@context": AS, "id": f"{peer.origin}/updates/{n}", "type": "Update",
            "actor": peer.actor_id, "object": document}


def _remote_names(app: Flask) -> dict[str, str]:
    with app.app_context():
        return {r.uri: r.name for r in db.session.scalars(select(RemoteActor))}


def test_their_update_refreshes_what_we_show_of_them_and_nothing_else(app, ours, peer, ada):
    # Never met: an Update keeps nothing of them.
    renamed = dict(peer.actor_document(), name="Bob Renamed")
    assert peer.post(f"{ours}/inbox", _update(peer, 1, renamed))[0] == 202
    _drain(app)
    assert _remote_names(app) == {}
    # Once met (their request), their Update of themselves is applied...
    peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}"))
    _drain(app)
    assert _remote_names(app) == {peer.actor_id: "Bob Peer"}
    peer.post(f"{ours}/inbox", _update(peer, 2, renamed))
    _drain(app)
    assert _remote_names(app) == {peer.actor_id: "Bob Renamed"}
    # ... but not an Update of someone else, nor of a post.
    someone = dict(renamed, id=f"{ours}/ap/members/{ada.id}", name="Hijacked")
    peer.post(f"{ours}/inbox", _update(peer, 3, someone))
    peer.post(f"{ours}/inbox", _update(peer, 4, {"id": f"{peer.origin}/notes/1", "type": "Note",
                                                 "content": "Hello"}))
    _drain(app)
    assert _remote_names(app) == {peer.actor_id: "Bob Renamed"}
    with app.app_context():
        statuses = dict(db.session.execute(select(InboxActivity.activity_id,
                                                  InboxActivity.status)).all())
    assert [statuses[f"{peer.origin}/updates/{n}"] for n in (1, 2, 3, 4)] == [
        "ignored", "processed", "ignored", "ignored"]
