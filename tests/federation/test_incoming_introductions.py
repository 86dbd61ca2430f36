"""Introductions that reach our member from another server (decision 56a), against the bovine
peer: Bob (the peer), connected with Ada, forwards her Dan's request (Dan: a member of another
community, acme, whose actor our server fetches) as an ``Offer{Relationship}``. Refusals first:
unsigned, a spoofed actor, an Offer from someone who is not Ada's connection, for a member not
reachable from other servers, a replay; then the request shown on Ada's page and answered:
``Accept{Offer}`` signed by Ada (verified by bovine) and her Follow of Dan, or ``Reject``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from maillon.db import db
from maillon.federation import membership
from maillon.federation.models import InboxActivity, RemoteActor, RemoteConnection
from maillon.introductions.models import IncomingIntroduction
from tests.federation.conftest import AS, instance_row, member_row
from tests.federation.test_connections import _drain
from tests.federation.test_introductions import bob  # noqa: F401 (a fixture)

PN = {"pn": "https://maillon.org/ns#", "IntroductionRequest": "pn:IntroductionRequest",
      "hop": "pn:hop", "maxHops": "pn:maxHops"}


@pytest.fixture
def dan(app: Flask, ours: str, federate: Any, create_member: Any, opt_in: Any) -> str:
    """A member of acme (another community), reachable: his actor URL."""
    federate("acme")
    member = create_member("acme", name="Dan Requester", locale="en")
    opt_in(member)
    return ours.replace("reseau.localhost", "acme.localhost") + f"/ap/members/{member.id}"


def _offer(peer: Any, ours: str, ada: Any, dan: str, n: int = 1, **change: Any
           ) -> dict[str, Any]:
    ada_actor = f"{ours}/ap/members/{ada.id}"
    return {"@context": [AS, PN], "id": f"{peer.origin}/introductions/{n}",
            "type": ["Offer", "IntroductionRequest"], "actor": peer.actor_id,
            "to": [ada_actor], "target": ada_actor,
            "object": {"type": "Relationship", "subject": dan, "object": ada_actor,
                       "relationship": "http://purl.org/vocab/relationship/acquaintanceOf"},
            "content": "<p>Dan would like to meet you.</p><p>Bob vouches: a fine sailor</p>",
            "hop": 2, "maxHops": 6, **change}


def _incoming(app: Flask) -> list[IncomingIntroduction]:
    with app.app_context():
        rows = list(db.session.scalars(select(IncomingIntroduction)))
        db.session.expunge_all()
        return rows


def _status(app: Flask, activity_id: str) -> str | None:
    with app.app_context():
        return db.session.scalar(select(InboxActivity.status).where(
            InboxActivity.activity_id == activity_id))


def test_unsigned_and_spoofed_offers_are_refused(app, ours, peer, ada, bob, dan):  # noqa: F811
    body = json.dumps(_offer(peer, ours, ada, dan)).encode()
    status, _ = peer.post_raw(f"{ours}/inbox", body,
                              {"content-type": "application/activity+json"})
    assert status == 401
    # Signed by Bob, in Dan's name: the actor is not the signer.
    assert peer.post(f"{ours}/inbox", _offer(peer, ours, ada, dan, actor=dan))[0] == 401
    assert _incoming(app) == []


def test_an_offer_from_someone_who_is_not_a_connection_is_ignored(app, ours, peer, ada, dan):
    assert peer.post(f"{ours}/inbox", _offer(peer, ours, ada, dan))[0] == 202
    _drain(app)
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _incoming(app) == []


def test_an_offer_for_a_member_not_reachable_is_ignored(app, ours, peer, ada, bob, dan,  # noqa: F811
                                                       create_member):
    with app.app_context():  # Ada withdraws from other servers: her actor is gone
        membership.change_member_federation(db.session, instance_row("reseau"),
                                            member_row(ada.id), {"enabled": False})
    assert peer.post(f"{ours}/inbox", _offer(peer, ours, ada, dan))[0] == 202
    # And someone who never opted in (nor is connected).
    other = create_member("reseau", name="Olga Hidden", locale="en")
    target = f"{ours}/ap/members/{other.id}"
    assert peer.post(f"{ours}/inbox", _offer(
        peer, ours, ada, dan, n=2, to=[target], target=target,
        object={"type": "Relationship", "subject": dan, "object": target}))[0] == 202
    _drain(app)
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _status(app, f"{peer.origin}/introductions/2") == "ignored"
    assert _incoming(app) == []


def test_a_replayed_offer_makes_one_request_and_accepting_answers_and_follows(
        app, ours, peer, ada, bob, dan, login):  # noqa: F811
    offer = _offer(peer, ours, ada, dan)
    assert peer.post(f"{ours}/inbox", offer)[0] == 202
    assert peer.post(f"{ours}/inbox", offer)[0] == 202  # the same id again
    _drain(app)
    [row] = _incoming(app)
    assert row.status == "waiting" and "a fine sailor" in row.content
    with app.app_context():  # Ada is told once
        from maillon.notifications.models import Notification

        told = db.session.scalars(select(Notification).where(
            Notification.member_id == ada.id,
            Notification.kind == "introduction_from_other_server")).all()
        assert [(n.data["requester"], n.data["carrier"]) for n in told] == [
            ("Dan Requester", "Bob Peer")]
    client = login(ada)
    # Dan's community is on this deployment: named by its name, not its host (decision 58).
    assert "Dan Requester (Acme Network" in client.get("/notifications").get_data(
        as_text=True)
    page = client.get("/introductions/from-other-servers").get_data(as_text=True)
    assert "From Dan Requester on Acme Network" in page
    assert "introduced by Bob Peer" in page and "a fine sailor" in page
    for _ in range(2):  # a double click answers once
        answered = client.post(f"/introductions/from-other-servers/{row.id}/accept")
        assert answered.status_code == 303
    _drain(app)
    assert _incoming(app)[0].status == "accepted"
    accepts = [r for r in peer.received if r["activity"]["type"] == "Accept"]
    assert len(accepts) == 1
    assert accepts[0]["signer"] == f"{ours}/ap/members/{ada.id}"  # verified by bovine
    assert accepts[0]["activity"]["object"]["id"] == offer["id"]
    with app.app_context():  # Ada follows Dan: connected once he accepts or follows back
        dan_row = db.session.scalar(select(RemoteActor).where(RemoteActor.uri == dan))
        assert dan_row is not None and dan_row.name == "Dan Requester"
        connection = db.session.scalar(select(RemoteConnection).where(
            RemoteConnection.remote_actor_id == dan_row.id))
        assert connection is not None and connection.our_follow_id
    with app.app_context():  # the request is in Ada's export
        from maillon.rights.export import export_member_data

        data = export_member_data(db.session, instance_row("reseau"), member_row(ada.id))
    [exported] = data["introductions"]["from_other_servers"]
    assert exported["status"] == "accepted" and exported["requester"]["id"] == dan
    # Declining now is refused: the answer was given.
    assert client.post(f"/introductions/from-other-servers/{row.id}/decline").status_code == 303
    assert _incoming(app)[0].status == "accepted"


def test_declining_sends_a_reject_through_the_api(app, ours, peer, ada, bob, dan,  # noqa: F811
                                                 client_for):
    from maillon.accounts.services import issue_api_token
    from tests.api.conftest import bearer

    peer.post(f"{ours}/inbox", _offer(peer, ours, ada, dan))
    _drain(app)
    with app.app_context():
        headers = bearer(issue_api_token(db.session, member_row(ada.id)))
    client = client_for("reseau")
    [listed] = client.get("/api/v1/introductions/incoming", headers=headers).get_json()["results"]
    assert listed["requester"]["id"] == dan and listed["carrier"]["id"] == peer.actor_id
    answered = client.post(f"/api/v1/introductions/incoming/{listed['id']}/decline",
                           headers=headers)
    assert answered.status_code == 200 and answered.get_json()["status"] == "declined"
    _drain(app)
    [reject] = [r for r in peer.received if r["activity"]["type"] == "Reject"]
    assert reject["activity"]["object"]["id"] == f"{peer.origin}/introductions/1"
    with app.app_context():
        assert db.session.scalar(select(func.count(RemoteConnection.id)).where(
            RemoteConnection.member_id == ada.id)) == 1  # Bob only: no Follow of Dan


def test_an_offer_for_a_member_out_of_the_directory_is_ignored(app, ours, peer, ada, bob,  # noqa: F811
                                                              dan):
    with app.app_context():  # Ada hides her profile: hidden looks like absent
        member = member_row(ada.id)
        member.visibility = {**(member.visibility or {}), "in_directory": False}
        db.session.commit()
    assert peer.post(f"{ours}/inbox", _offer(peer, ours, ada, dan))[0] == 202
    _drain(app)
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _incoming(app) == []


def test_their_undo_withdraws_a_waiting_request(app, ours, peer, ada, bob, dan,  # noqa: F811
                                                client_for):
    from maillon.accounts.services import issue_api_token
    from tests.api.conftest import bearer, error_of

    offer = _offer(peer, ours, ada, dan)
    peer.post(f"{ours}/inbox", offer)
    _drain(app)
    assert peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/undo/1",
                                       "type": "Undo", "actor": peer.actor_id,
                                       "object": {"id": offer["id"], "type": "Offer"}})[0] == 202
    _drain(app)
    [row] = _incoming(app)
    assert row.status == "withdrawn"
    with app.app_context():
        headers = bearer(issue_api_token(db.session, member_row(ada.id)))
    late = client_for("reseau").post(f"/api/v1/introductions/incoming/{row.id}/accept",
                                     headers=headers)
    assert late.status_code == 409 and error_of(late)["code"] == "already_answered"
    assert not [r for r in peer.received if r["activity"]["type"] == "Accept"]
    with app.app_context():  # Ada and Bob stay connected: the Undo named no Follow
        assert db.session.scalar(select(RemoteConnection.status)) == "connected"
