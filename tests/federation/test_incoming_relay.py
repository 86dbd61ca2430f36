"""Chains that continue on the receiving server (decision 62), against the bovine peer: Bob
(the peer, the carrier), connected with Ada (X, the entry relay), forwards her Dan's request
(Dan: a member of acme, another community) for Tess (T, a member here), two links away:
Ada → Yves → Tess. Refusals first (each ignored with a logged reason, nothing kept): the
carrier is not X's connection, X hidden, X not relaying, T hidden, T takes no introductions,
X is the requester; a repeated Offer is one row; no links left is a Reject signed by X. Then
the journey: X passes to Y, Y passes to T, T accepts (Accept signed by T, T's Follow of Dan);
a decline by Y (Reject signed by X, no reason in it); an expiry; an Undo while Y holds it; a
double click; and who may act."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db, utcnow
from maillon.federation.models import RemoteActor, RemoteConnection
from maillon.introductions.models import IncomingIntroduction, IncomingIntroductionTurn
from maillon.notifications.models import Notification
from tests.federation.conftest import instance_row, member_row
from tests.federation.test_connections import _drain
from tests.federation.test_incoming_introductions import PN, _status, dan  # noqa: F401
from tests.federation.test_introductions import bob  # noqa: F401 (a fixture)
from tests.introductions.world import World

AS = "https://www.w3.org/ns/activitystreams"
SECRET = "Tess once turned me down"


@pytest.fixture
def people(app: Flask, create_member: Any, opt_in: Any, ada: Any, bob: Any  # noqa: F811
           ) -> dict[str, int]:
    """Ada (X, connected to Bob), Yves (a relay, not reachable from other servers: he need
    not be) and Tess (T, reachable), chained Ada — Yves — Tess."""
    world = World(app, create_member)
    yves = world.member("Yves Relay", locale="en")
    tess = create_member("reseau", name="Tess Target", locale="en")
    opt_in(tess)
    world.chain(ada.id, yves, tess.id)
    return {"x": ada.id, "y": yves, "t": tess.id}


def _actor(ours: str, member_id: int) -> str:
    return f"{ours}/ap/members/{member_id}"


def _offer(peer: Any, ours: str, x: int, t: int, dan: str, n: int = 1,  # noqa: F811
           **change: Any) -> dict[str, Any]:
    target = _actor(ours, t)
    return {"@context": [AS, PN], "id": f"{peer.origin}/introductions/{n}",
            "type": ["Offer", "IntroductionRequest"], "actor": peer.actor_id,
            "to": [_actor(ours, x)], "target": target,
            "object": {"type": "Relationship", "subject": dan, "object": target,
                       "relationship": "http://purl.org/vocab/relationship/acquaintanceOf"},
            "content": "<p>Dan would like to meet Tess.</p><p>Bob vouches: a fine sailor</p>",
            "hop": 3, "maxHops": 6, "introducedVia": peer.actor_id, **change}


def _rows(app: Flask) -> list[IncomingIntroduction]:
    with app.app_context():
        rows = list(db.session.scalars(select(IncomingIntroduction)))
        db.session.expunge_all()
        return rows


def _turns(app: Flask) -> list[tuple[int, int, str]]:
    with app.app_context():
        return [(t.member_id, t.position, t.status) for t in db.session.scalars(
            select(IncomingIntroductionTurn).order_by(IncomingIntroductionTurn.position))]


def _told(app: Flask, member_id: int, kind: str) -> list[dict[str, Any]]:
    with app.app_context():
        return [dict(n.data) for n in db.session.scalars(select(Notification).where(
            Notification.member_id == member_id, Notification.kind == kind))]


def _sent(peer: Any, kind: str) -> list[dict[str, Any]]:
    return [r for r in peer.received if r["activity"]["type"] == kind]


def _deliver(app: Flask, peer: Any, ours: str, offer: dict[str, Any]) -> None:
    assert peer.post(f"{ours}/inbox", offer)[0] == 202
    _drain(app)


def _api(app: Flask, client_for: Any, member_id: int) -> tuple[Any, dict[str, str]]:
    from maillon.accounts.services import issue_api_token
    from tests.api.conftest import bearer

    with app.app_context():
        headers = bearer(issue_api_token(db.session, member_row(member_id)))
    return client_for("reseau"), headers


def member_row_of(app: Flask, member_id: int) -> Any:
    with app.app_context():
        member = member_row(member_id)
        db.session.expunge(member)
        return member


# ------------------------------------------------------------------ refusals, negative first


def test_an_offer_whose_carrier_is_not_x_s_connection_is_ignored(
        app, ours, peer, people, dan, create_member, opt_in):  # noqa: F811
    # Olga relays, is reachable and connected to Tess, but Bob is no connection of hers.
    olga = create_member("reseau", name="Olga Other", locale="en")
    opt_in(olga)
    World(app, create_member).connect(olga.id, people["t"])
    _deliver(app, peer, ours, _offer(peer, ours, olga.id, people["t"], dan))
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _rows(app) == [] and not _sent(peer, "Reject")


def test_an_offer_through_a_hidden_entry_relay_is_ignored(app, ours, peer, people,
                                                          dan):  # noqa: F811
    with app.app_context():  # Ada hides her profile: as absent as an unknown id
        member = member_row(people["x"])
        member.visibility = {**(member.visibility or {}), "in_directory": False}
        db.session.commit()
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    # Yves never opted in: an Offer addressed to him is ignored the same way.
    _deliver(app, peer, ours, _offer(peer, ours, people["y"], people["t"], dan, n=2))
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _status(app, f"{peer.origin}/introductions/2") == "ignored"
    assert _rows(app) == []


def test_an_offer_through_an_entry_relay_who_does_not_relay_is_ignored(
        app, ours, peer, people, dan):  # noqa: F811
    with app.app_context():
        member_row(people["x"]).relaying = "busy"
        db.session.commit()
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _rows(app) == [] and not _sent(peer, "Reject")


def test_an_offer_for_a_hidden_target_is_ignored(app, ours, peer, people, dan,  # noqa: F811
                                                 create_member):
    with app.app_context():  # Tess hides her profile
        member = member_row(people["t"])
        member.visibility = {**(member.visibility or {}), "in_directory": False}
        db.session.commit()
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    # And a member who never opted in, connected to Ada.
    hidden = create_member("reseau", name="Hugo Hidden", locale="en")
    World(app, create_member).connect(people["x"], hidden.id)
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], hidden.id, dan, n=2))
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _status(app, f"{peer.origin}/introductions/2") == "ignored"
    assert _rows(app) == [] and not _sent(peer, "Reject")


def test_an_offer_for_a_target_who_takes_no_introductions_is_ignored(
        app, ours, peer, people, dan):  # noqa: F811
    with app.app_context():
        member = member_row(people["t"])
        member.contact_policy = {**(member.contact_policy or {}), "introductions": False}
        db.session.commit()
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _rows(app) == [] and not _sent(peer, "Reject")


def test_an_offer_whose_requester_is_the_entry_relay_is_ignored(app, ours, peer, people,
                                                                dan):  # noqa: F811
    offer = _offer(peer, ours, people["x"], people["t"], dan)
    offer["object"]["subject"] = _actor(ours, people["x"])
    _deliver(app, peer, ours, offer)
    assert _status(app, f"{peer.origin}/introductions/1") == "ignored"
    assert _rows(app) == []


def test_the_sender_may_be_the_requester_connected_with_x(app, ours, peer, people,
                                                          dan):  # noqa: F811
    # Bob asks for himself (decision 61: a requester connected with X is on the border).
    offer = _offer(peer, ours, people["x"], people["t"], dan)
    offer["object"]["subject"] = peer.actor_id
    _deliver(app, peer, ours, offer)
    [row] = _rows(app)
    assert row.status == "relaying" and row.requester_id == row.carrier_id
    [told] = _told(app, people["x"], "introduction_relay_from_other_server")
    assert (told["requester"], told["previous"]) == ("Bob Peer", "Bob Peer")


def test_a_repeated_offer_makes_one_request_and_tells_x_once(app, ours, peer, people,
                                                             dan):  # noqa: F811
    offer = _offer(peer, ours, people["x"], people["t"], dan)
    _deliver(app, peer, ours, offer)
    _deliver(app, peer, ours, offer)
    [row] = _rows(app)
    assert (row.status, row.member_id, row.target_id) == ("relaying", people["x"], people["t"])
    assert row.path == [people["x"], people["y"], people["t"]]
    assert _turns(app) == [(people["x"], 0, "waiting")]
    [told] = _told(app, people["x"], "introduction_relay_from_other_server")
    assert (told["requester"], told["previous"], told["target"]) == (
        "Dan Requester", "Bob Peer", "Tess Target")
    assert not _told(app, people["t"], "introduction_from_other_server")  # not yet hers


def test_no_links_left_is_a_reject_signed_by_the_entry_relay(app, ours, peer, people,
                                                             dan):  # noqa: F811
    # hop 5 of at most 6: one link left, and Tess is two links from Ada.
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan, hop=5))
    [row] = _rows(app)
    assert row.status == "stopped" and _turns(app) == []
    [reject] = _sent(peer, "Reject")
    assert reject["signer"] == _actor(ours, people["x"])  # verified by bovine
    assert reject["activity"]["object"]["id"] == f"{peer.origin}/introductions/1"
    # The hop count used up entirely: the same.
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan, n=2, hop=6))
    assert [r.status for r in _rows(app)] == ["stopped", "stopped"]
    assert len(_sent(peer, "Reject")) == 2
    assert not _told(app, people["x"], "introduction_relay_from_other_server")


# ------------------------------------------------------------------------------ the journey


def test_x_passes_to_y_who_passes_to_t_who_accepts(app, ours, peer, people, dan,  # noqa: F811
                                                   login):
    offer = _offer(peer, ours, people["x"], people["t"], dan)
    _deliver(app, peer, ours, offer)
    [row] = _rows(app)
    ada = login(member_row_of(app, people["x"]))
    page = ada.get("/introductions/from-other-servers").get_data(as_text=True)
    assert "Dan Requester on Acme Network" in page and "would like to meet Tess Target" in page
    assert "introduced to you by Bob Peer" in page and "a fine sailor" in page
    for _ in range(2):  # a double click passes it once
        assert ada.post(f"/introductions/from-other-servers/{row.id}/pass",
                        data={"vouch": "Ada vouches for Dan"}).status_code == 303
    assert _turns(app) == [(people["x"], 0, "forwarded"), (people["y"], 1, "waiting")]
    assert len(_told(app, people["y"], "introduction_relay_from_other_server")) == 1
    yves = login(member_row_of(app, people["y"]))
    page = yves.get("/introductions/from-other-servers").get_data(as_text=True)
    assert "passed to you by Ada Lovelace" in page and "Ada vouches for Dan" in page
    assert yves.post(f"/introductions/from-other-servers/{row.id}/pass",
                     data={"vouch": "Yves vouches too"}).status_code == 303
    assert _rows(app)[0].status == "waiting"
    # Ada reads her own vouch, never the later relay's.
    page = ada.get("/introductions/from-other-servers").get_data(as_text=True)
    assert "You passed it on to Yves Relay" in page and "Yves vouches too" not in page
    [told] = _told(app, people["t"], "introduction_from_other_server")
    assert (told["requester"], told["carrier"], told["relayed"]) == (
        "Dan Requester", "Yves Relay", True)
    tess = login(member_row_of(app, people["t"]))
    page = tess.get("/introductions/from-other-servers").get_data(as_text=True)
    assert "passed on to you by Yves Relay" in page
    assert "Ada vouches for Dan" in page and "Yves vouches too" in page
    assert "then Ada Lovelace, Yves Relay" in page
    assert not _sent(peer, "Accept")
    for _ in range(2):
        assert tess.post(f"/introductions/from-other-servers/{row.id}/accept").status_code == 303
    _drain(app)
    assert _rows(app)[0].status == "accepted"
    [accept] = _sent(peer, "Accept")
    assert accept["signer"] == _actor(ours, people["t"])  # T signs, as server A requires
    assert accept["activity"]["object"]["id"] == offer["id"]
    with app.app_context():  # Tess follows Dan
        dan_row = db.session.scalar(select(RemoteActor).where(RemoteActor.uri == dan))
        follow = db.session.scalar(select(RemoteConnection).where(
            RemoteConnection.member_id == people["t"],
            RemoteConnection.remote_actor_id == dan_row.id))
        assert follow is not None and follow.our_follow_id
    for relay in ("x", "y"):  # everyone who passed it is told
        [ended] = _told(app, people[relay], "introduction_from_other_server_ended")
        assert ended["outcome"] == "accepted"
    with app.app_context():  # the export holds each side's part
        from maillon.rights.export import export_member_data

        mine = export_member_data(db.session, instance_row("reseau"),
                                  member_row(people["y"]))["introductions"]
        theirs = export_member_data(db.session, instance_row("reseau"),
                                    member_row(people["t"]))["introductions"]
    [turn] = mine["relayed_from_other_servers"]
    assert (turn["my_turn"], turn["vouch"], turn["status"]) == (
        "forwarded", "Yves vouches too", "accepted")
    assert mine["from_other_servers"] == []
    [received] = theirs["from_other_servers"]
    assert received["status"] == "accepted" and received["requester"]["id"] == dan


def test_a_decline_by_y_is_a_reject_signed_by_x_without_the_reason(
        app, ours, peer, people, dan, client_for):  # noqa: F811
    from tests.api.conftest import error_of

    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    [row] = _rows(app)
    client, ada = _api(app, client_for, people["x"])
    _client, yves = _api(app, client_for, people["y"])
    _client, tess = _api(app, client_for, people["t"])
    # Yves cannot act before it reaches him, nor Tess (it has not reached her).
    assert client.post(f"/api/v1/introductions/incoming/{row.id}/decline",
                       headers=yves).status_code == 404
    passed = client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada,
                         json={"vouch": "fine"})
    assert passed.status_code == 200 and passed.get_json()["turn"]["status"] == "forwarded"
    assert client.post(f"/api/v1/introductions/incoming/{row.id}/pass",
                       headers=tess, json={}).status_code == 404
    # Ada, who passed it, can no longer act on it: Yves holds it.
    late = client.post(f"/api/v1/introductions/incoming/{row.id}/decline", headers=ada)
    assert late.status_code == 409 and error_of(late)["code"] == "already_answered"
    [listed] = client.get("/api/v1/introductions/incoming", headers=yves).get_json()["results"]
    assert listed["role"] == "relay" and listed["can_act"] is True
    assert listed["passed_by"]["name"] == "Ada Lovelace" and listed["target"]["name"] == (
        "Tess Target")
    assert [v["text"] for v in listed["vouches"]] == ["fine"]
    for _ in range(2):
        declined = client.post(f"/api/v1/introductions/incoming/{row.id}/decline",
                               headers=yves, json={"reason": SECRET})
        assert declined.status_code == 200 and declined.get_json()["status"] == "stopped"
    again = client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=yves,
                        json={})
    assert again.status_code == 409 and error_of(again)["code"] == "already_answered"
    _drain(app)
    [reject] = _sent(peer, "Reject")
    assert reject["signer"] == _actor(ours, people["x"])
    assert reject["activity"]["object"]["id"] == f"{peer.origin}/introductions/1"
    assert SECRET not in json.dumps(reject["activity"])
    assert "Yves" not in json.dumps(reject["activity"])
    [ended] = _told(app, people["x"], "introduction_from_other_server_ended")
    assert ended["outcome"] == "stopped" and "Yves Relay" not in json.dumps(ended)
    assert not _told(app, people["t"], "introduction_from_other_server")
    [listed] = client.get("/api/v1/introductions/incoming", headers=ada).get_json()["results"]
    assert listed["status"] == "stopped" and SECRET not in json.dumps(listed)
    assert client.get("/api/v1/introductions/incoming", headers=tess).get_json()[
        "results"] == []


def test_an_expired_turn_stops_it_with_a_reject_signed_by_x(app, ours, peer, people,
                                                            dan, client_for):  # noqa: F811
    from maillon.introductions.relay import expire_overdue

    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    [row] = _rows(app)
    client, ada = _api(app, client_for, people["x"])
    assert client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada,
                       json={}).status_code == 200
    with app.app_context():
        assert expire_overdue(db.session) == 0  # not yet
        turn = db.session.scalar(select(IncomingIntroductionTurn).where(
            IncomingIntroductionTurn.member_id == people["y"]))
        assert turn.deadline > utcnow() + timedelta(days=6)  # the relay deadline: 7 days
        turn.deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert expire_overdue(db.session) == 1
    assert _turns(app)[-1] == (people["y"], 1, "expired") and _rows(app)[0].status == "stopped"
    _drain(app)
    [reject] = _sent(peer, "Reject")
    assert reject["signer"] == _actor(ours, people["x"])
    [ended] = _told(app, people["x"], "introduction_from_other_server_ended")
    assert ended["outcome"] == "stopped"


def test_an_undo_while_y_holds_it_withdraws_it(app, ours, peer, people, dan,  # noqa: F811
                                               client_for):
    from tests.api.conftest import error_of

    offer = _offer(peer, ours, people["x"], people["t"], dan)
    _deliver(app, peer, ours, offer)
    [row] = _rows(app)
    client, ada = _api(app, client_for, people["x"])
    _client, yves = _api(app, client_for, people["y"])
    client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada, json={})
    _deliver(app, peer, ours, {"@context": AS, "id": f"{peer.origin}/undo/1", "type": "Undo",
                               "actor": peer.actor_id,
                               "object": {"id": offer["id"], "type": "Offer"}})
    assert _rows(app)[0].status == "withdrawn"
    assert _turns(app)[-1] == (people["y"], 1, "withdrawn")
    for relay in ("x", "y"):
        [ended] = _told(app, people[relay], "introduction_from_other_server_ended")
        assert ended["outcome"] == "withdrawn"
    late = client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=yves, json={})
    assert late.status_code == 409 and error_of(late)["code"] == "already_answered"
    assert not _sent(peer, "Reject") and not _sent(peer, "Accept")


def test_a_relay_who_stopped_relaying_is_routed_around(app, ours, peer, people, dan,  # noqa: F811
                                                       create_member, client_for):
    world = World(app, create_member)
    zoe = world.member("Zoe Around", locale="en")
    world.chain(people["x"], zoe, people["t"])
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    [row] = _rows(app)
    planned = row.path[1]
    other = zoe if planned == people["y"] else people["y"]
    world.update(planned, relaying="busy")
    client, ada = _api(app, client_for, people["x"])
    client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada, json={})
    assert _rows(app)[0].path == [people["x"], other, people["t"]]
    assert _turns(app)[-1] == (other, 1, "waiting")


def test_the_relay_s_page_is_in_french(app, ours, peer, people, dan, login):  # noqa: F811
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    with app.app_context():
        member_row(people["x"]).locale = "fr"
        db.session.commit()
    page = login(member_row_of(app, people["x"])).get(
        "/introductions/from-other-servers").get_data(as_text=True)
    assert "Dan Requester, sur Acme Network, aimerait rencontrer Tess Target" in page
    assert "présentée par Bob Peer, votre relation sur ce serveur" in page
    assert "Transmettre" in page and "personne d’autre ne le lit" in page


def test_no_chain_left_at_a_pass_ends_it_with_a_reject_signed_by_x(
        app, ours, peer, people, dan, create_member, client_for):  # noqa: F811
    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    [row] = _rows(app)
    World(app, create_member).update(people["y"], relaying="busy")  # nobody else between
    client, ada = _api(app, client_for, people["x"])
    passed = client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada,
                         json={"vouch": "fine"})
    assert passed.status_code == 200 and passed.get_json()["status"] == "stopped"
    assert _turns(app) == [(people["x"], 0, "forwarded")]
    _drain(app)
    [reject] = _sent(peer, "Reject")
    assert reject["signer"] == _actor(ours, people["x"])
    assert not _told(app, people["y"], "introduction_relay_from_other_server")
    assert not _told(app, people["x"], "introduction_from_other_server_ended")  # she saw it


def test_a_suspended_relay_s_turn_ends_at_once(app, ours, peer, people, dan,  # noqa: F811
                                               client_for):
    from maillon.introductions.relay import expire_held_by

    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    [row] = _rows(app)
    client, ada = _api(app, client_for, people["x"])
    client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada, json={})
    with app.app_context():  # what a suspension does (moderation.sanctions)
        assert expire_held_by(db.session, instance_row("reseau"), member_row(people["y"])) == 1
        db.session.commit()
    assert _turns(app)[-1] == (people["y"], 1, "expired") and _rows(app)[0].status == "stopped"
    _drain(app)
    assert [r["signer"] for r in _sent(peer, "Reject")] == [_actor(ours, people["x"])]


def test_deleting_accounts_erases_vouches_and_stops_requests_to_them(
        app, ours, peer, people, dan, client_for):  # noqa: F811
    from maillon.rights.deletion import delete_own_account
    from tests.conftest import PASSWORD

    _deliver(app, peer, ours, _offer(peer, ours, people["x"], people["t"], dan))
    [row] = _rows(app)
    client, ada = _api(app, client_for, people["x"])
    _client, yves = _api(app, client_for, people["y"])
    client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=ada,
                json={"vouch": "Ada's words"})
    client.post(f"/api/v1/introductions/incoming/{row.id}/pass", headers=yves,
                json={"vouch": "Yves' words"})
    assert _rows(app)[0].status == "waiting"
    with app.app_context():  # Yves leaves: his vouch goes
        delete_own_account(db.session, instance_row("reseau"), member_row(people["y"]),
                           password=PASSWORD)
        assert db.session.scalar(select(IncomingIntroductionTurn.vouch).where(
            IncomingIntroductionTurn.member_id == people["y"])) == ""
    assert _rows(app)[0].status == "waiting"  # it waits for Tess still
    with app.app_context():  # Tess leaves: the request stops, in Ada's name
        delete_own_account(db.session, instance_row("reseau"), member_row(people["t"]),
                           password=PASSWORD)
    assert _rows(app)[0].status == "stopped"
    _drain(app)
    assert [r["signer"] for r in _sent(peer, "Reject")] == [_actor(ours, people["x"])]
