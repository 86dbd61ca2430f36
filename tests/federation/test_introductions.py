"""Introductions whose last hop crosses to another server, against the bovine peer (decision
56): Claire asks to meet Bob (on the peer), a remote contact of her connection Ada; the chain
runs to Ada, whose Forward sends an ``Offer{Relationship}`` signed by her key (verified by
bovine) to Bob alone; Bob's Accept of that Offer accepts the request and connects Claire and
Bob (her Follow), his Reject turns it down. Refusals first: an answer from anyone but Bob, or
naming an Offer that is not waiting, changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db, utcnow
from maillon.federation.models import InboxActivity, RemoteActor, RemoteConnection
from maillon.introductions.models import Introduction
from maillon.network import services as network
from tests.api.conftest import bearer, error_of
from tests.federation.conftest import AS, instance_row, member_row
from tests.federation.test_connections import _drain


@pytest.fixture
def claire(create_member: Any, opt_in: Any, ada: Any, app: Flask) -> Any:
    """A member of reseau reachable from other servers, connected to Ada here."""
    member = create_member("reseau", name="Claire Dupont", locale="en")
    opt_in(member)
    with app.app_context():
        instance = instance_row("reseau")
        row = network.request_connection(db.session, instance, member_row(member.id), ada.id)
        network.accept_connection(db.session, instance, member_row(ada.id), row.id)
        db.session.commit()
    return member


@pytest.fixture
def bob(app: Flask, ours: str, peer: Any, ada: Any) -> int:
    """Bob (the peer's actor, which says it takes introduction Offers, as a Maillon server's
    do), connected to Ada: his RemoteActor id."""
    peer.accepts_introductions = True
    return _connect_bob(app, ours, peer, ada)


@pytest.fixture
def mastodon_bob(app: Flask, ours: str, peer: Any, ada: Any) -> int:
    """Bob as a Mastodon user: his actor does not say it takes Offers."""
    return _connect_bob(app, ours, peer, ada)


def _connect_bob(app: Flask, ours: str, peer: Any, ada: Any) -> int:
    from maillon.federation.outgoing import connect_remote_person

    address = f"@bob@{peer.origin.split('://', 1)[1]}"
    with app.app_context():
        connection, actor, _ = connect_remote_person(
            db.session, instance_row("reseau"), member_row(ada.id), address)
        follow_id, actor_id = connection.our_follow_id, actor.id
    _drain(app)
    peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/accepts/ada",
                                "type": "Accept", "actor": peer.actor_id, "object": follow_id})
    _drain(app)
    with app.app_context():
        assert db.session.scalar(select(RemoteConnection.status)) == "connected"
    peer.received.clear()
    return int(actor_id)


def _intro(app: Flask) -> Introduction:
    with app.app_context():
        row = db.session.scalar(select(Introduction))
        assert row is not None
        db.session.expunge_all()
        return row


def _ask(app: Flask, claire: Any, bob: int) -> int:
    from maillon.introductions import services

    with app.app_context():
        intro = services.request_introduction(
            db.session, instance_row("reseau"), member_row(claire.id), None,
            remote_target_id=bob, message="I build ferries and would like to meet Bob.",
            purpose="business")
        return intro.id


def _offers(peer: Any) -> list[dict[str, Any]]:
    return [r for r in peer.received if "Offer" in r["activity"]["type"]]


def _answer(peer: Any, ours: str, offer: Any, kind: str = "Accept", n: int = 1) -> int:
    status, _ = peer.post(f"{ours}/inbox", {
        "@context": AS, "id": f"{peer.origin}/answers/{n}", "type": kind,
        "actor": peer.actor_id, "object": offer, "content": "<p>Glad to.</p>"})
    return status


def test_an_answer_from_someone_else_or_to_no_waiting_offer_changes_nothing(
        app, ours, peer, ada, claire, bob, login):
    intro_id = _ask(app, claire, bob)
    assert login(ada).post(f"/introductions/{intro_id}/forward",
                           data={"note": "", "vouch": "Claire is great"}).status_code == 303
    _drain(app)
    offer_id = _intro(app).offer_id
    assert offer_id
    # The same Offer id, but the introduction goes to someone else: Bob's Accept is not theirs.
    with app.app_context():
        other = RemoteActor(instance_id=instance_row("reseau").id,
                            uri=f"{peer.origin}/users/carol", inbox=f"{peer.origin}/inbox",
                            handle="carol@peer", name="Carol")
        db.session.add(other)
        db.session.flush()
        intro = db.session.get(Introduction, intro_id)
        assert intro is not None
        intro.remote_target_id = other.id
        db.session.commit()
    assert _answer(peer, ours, offer_id, n=1) == 202
    _drain(app)
    assert _intro(app).status == "delivered"
    with app.app_context():
        intro = db.session.get(Introduction, intro_id)
        assert intro is not None
        intro.remote_target_id = bob
        db.session.commit()
    # An Offer id that names nothing waiting.
    assert _answer(peer, ours, offer_id + "x", n=2) == 202
    _drain(app)
    assert _intro(app).status == "delivered"
    with app.app_context():
        statuses = dict(db.session.execute(select(InboxActivity.activity_id,
                                                  InboxActivity.status)).all())
    assert statuses[f"{peer.origin}/answers/1"] == "ignored"
    assert statuses[f"{peer.origin}/answers/2"] == "ignored"
    with app.app_context():  # no Follow from Claire: nothing was accepted
        assert db.session.scalar(select(RemoteConnection).where(
            RemoteConnection.member_id == claire.id)) is None


def test_forwarding_across_sends_one_signed_offer_and_their_accept_connects(
        app, ours, peer, ada, claire, bob, login):
    for _ in range(2):  # a double click asks once
        intro_id = _ask(app, claire, bob)
    intro = _intro(app)
    assert intro.id == intro_id and intro.path == [claire.id, ada.id, -bob]
    assert intro.target_id is None and intro.holder_id == ada.id
    ada_client = login(ada)
    page = ada_client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    server = peer.origin.split("://", 1)[1]
    assert f"With Bob Peer on {server}" in page
    for _ in range(2):  # a double click forwards once
        assert ada_client.post(f"/introductions/{intro_id}/forward", data={
            "note": "", "vouch": "Claire & I built a bridge"}).status_code == 303
    _drain(app)
    [received] = _offers(peer)
    offer = received["activity"]
    ada_actor, claire_actor = f"{ours}/ap/members/{ada.id}", f"{ours}/ap/members/{claire.id}"
    assert received["signer"] == ada_actor  # bovine verified Ada's signature
    assert offer["type"] == ["Offer", "IntroductionRequest"]
    assert offer["@context"][0] == AS and isinstance(offer["@context"][1], dict)
    assert offer["actor"] == ada_actor and offer["to"] == [peer.actor_id]
    assert "cc" not in offer and f"{AS}#Public" not in str(offer)
    assert offer["object"] == {
        "type": "Relationship", "subject": claire_actor, "object": peer.actor_id,
        "relationship": "http://purl.org/vocab/relationship/acquaintanceOf"}
    assert offer["hop"] == 2 and offer["maxHops"] >= 2
    assert "I build ferries" in offer["content"]
    assert "Claire &amp; I built a bridge" in offer["content"]  # escaped HTML
    intro = _intro(app)
    assert intro.status == "delivered" and intro.offer_id == offer["id"]
    assert intro.hop_deadline is not None
    # Bob accepts (the Offer embedded, as bovine or Mastodon would answer).
    assert _answer(peer, ours, offer) == 202
    _drain(app)
    intro = _intro(app)
    assert intro.status == "accepted" and intro.outcome_message == "Glad to."
    with app.app_context():
        [connection] = db.session.scalars(select(RemoteConnection).where(
            RemoteConnection.member_id == claire.id)).all()
        assert connection.status == "pending" and connection.our_follow_id
    [follow] = [r for r in peer.received if r["activity"]["type"] == "Follow"]
    assert follow["signer"] == claire_actor and follow["activity"]["object"] == peer.actor_id
    # Everyone on the chain is told, as for a local acceptance.
    with app.app_context():
        from maillon.notifications.models import Notification

        kinds = {(n.member_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (claire.id, "introduction_accepted") in kinds
    assert (ada.id, "introduction_concluded") in kinds
    page = login(claire).get(f"/introductions/{intro_id}").get_data(as_text=True)
    assert "bob@" in page and "Contact details" in page
    # A replayed Accept changes nothing more.
    assert _answer(peer, ours, offer, n=3) == 202
    _drain(app)
    assert len([r for r in peer.received if r["activity"]["type"] == "Follow"]) == 1


def test_their_reject_turns_it_down_and_no_answer_expires(app, ours, peer, ada, claire, bob,
                                                          login):
    from maillon.introductions import services

    intro_id = _ask(app, claire, bob)
    login(ada).post(f"/introductions/{intro_id}/forward", data={"note": "", "vouch": ""})
    _drain(app)
    [received] = _offers(peer)
    assert _answer(peer, ours, received["activity"]["id"], "Reject") == 202
    _drain(app)
    assert _intro(app).status == "rejected"
    with app.app_context():
        assert db.session.scalar(select(RemoteConnection).where(
            RemoteConnection.member_id == claire.id)) is None
        # Another request, never answered: the timeout path.
        db.session.delete(db.session.get(Introduction, intro_id))
        db.session.commit()
    intro_id = _ask(app, claire, bob)
    login(ada).post(f"/introductions/{intro_id}/forward", data={"note": "", "vouch": ""})
    with app.app_context():
        assert services.expire_overdue(db.session, utcnow() + timedelta(days=60)) == 1
    assert _intro(app).status == "expired"


def test_the_api_asks_across_and_refuses_what_it_cannot(app, ours, peer, ada, claire, bob,
                                                        create_member, client_for):
    from maillon.accounts.services import issue_api_token

    with app.app_context():
        headers = bearer(issue_api_token(db.session, member_row(claire.id)))
    client = client_for("reseau")
    text = {"message": "Hello there, Bob, about ferries!", "purpose": "business"}
    listed = client.get(f"/api/v1/members/{ada.id}/remote-contacts", headers=headers)
    assert [p["id"] for p in listed.get_json()["results"]] == [peer.actor_id]
    both = client.post("/api/v1/introductions", headers=headers,
                       json={"target_id": ada.id, "remote_target": peer.actor_id, **text})
    assert both.status_code == 422 and error_of(both)["code"] == "validation_failed"
    made = client.post("/api/v1/introductions", headers=headers, json={
        "remote_target": peer.actor_id, "via_member_id": ada.id, **text})
    assert made.status_code == 201, made.get_json()
    view = client.get(f"/api/v1/introductions/{made.get_json()['id']}", headers=headers)
    assert view.get_json()["remote_target"]["handle"].startswith("bob@")
    # Someone not reachable from other servers cannot ask (Bob's Follow back would fail).
    hidden = create_member("reseau", name="Hidden Hugo", locale="en")
    with app.app_context():
        hugo = bearer(issue_api_token(db.session, member_row(hidden.id)))
    refused = client.post("/api/v1/introductions", headers=hugo,
                          json={"remote_target": peer.actor_id, **text})
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_federated"
    # Someone this instance never met is a 404.
    assert client.post("/api/v1/introductions", headers=headers, json={
        "remote_target": peer.actor_id + "x", **text}).status_code == 404


def test_the_contacts_page_offers_an_introduction_to_a_remote_contact(
        app, ours, peer, ada, claire, bob, login):
    client = login(claire)
    page = client.get(f"/members/{ada.id}/contacts").get_data(as_text=True)
    assert f"/introductions/remote/{bob}?via={ada.id}" in page
    form = client.get(f"/introductions/remote/{bob}?via={ada.id}")
    assert form.status_code == 200 and "Get introduced to Bob Peer" in form.get_data(
        as_text=True)
    short = client.post(f"/introductions/remote/{bob}?via={ada.id}", data={
        "message": "Hi Bob", "purpose": "business"})
    assert short.status_code == 422  # the form again, its problem next to the message
    assert 'class="field-error"' in short.get_data(as_text=True)
    sent = client.post(f"/introductions/remote/{bob}?via={ada.id}", data={
        "message": "I build ferries and would like to meet Bob.", "purpose": "business"})
    assert sent.status_code == 303
    assert _intro(app).path == [claire.id, ada.id, -bob]


def test_a_mastodon_user_gets_a_direct_message_and_following_the_requester_accepts(
        app, ours, peer, ada, claire, mastodon_bob, create_member, opt_in, login):
    intro_id = _ask(app, claire, mastodon_bob)
    login(ada).post(f"/introductions/{intro_id}/forward",
                    data={"note": "", "vouch": "Claire & I built a bridge"})
    _drain(app)
    assert _offers(peer) == []
    [received] = [r for r in peer.received if r["activity"]["type"] == "Create"]
    create = received["activity"]
    ada_actor, claire_actor = f"{ours}/ap/members/{ada.id}", f"{ours}/ap/members/{claire.id}"
    assert received["signer"] == ada_actor  # bovine verified Ada's signature
    note = create["object"]
    assert create["to"] == [peer.actor_id] and note["to"] == [peer.actor_id]  # direct
    assert "cc" not in create and "cc" not in note and "Public" not in str(create)
    assert note["type"] == "Note" and note["attributedTo"] == ada_actor
    assert note["tag"] == [{"type": "Mention", "href": peer.actor_id,
                            "name": f"@bob@{peer.origin.split('://', 1)[1]}"}]
    assert "I build ferries" in note["content"]
    assert "Claire &amp; I built a bridge" in note["content"]
    assert f"/members/{claire.id}" in note["content"] and "follow" in note["content"]
    assert _intro(app).status == "delivered"
    # Bob follows someone else: nothing is accepted.
    other = create_member("reseau", name="Other Olga", locale="en")
    opt_in(other)
    peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/follows/olga",
                                "type": "Follow", "actor": peer.actor_id,
                                "object": f"{ours}/ap/members/{other.id}"})
    _drain(app)
    assert _intro(app).status == "delivered"
    # Bob follows Claire: the introduction is accepted, and his Follow too.
    peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/follows/claire",
                                "type": "Follow", "actor": peer.actor_id,
                                "object": claire_actor})
    _drain(app)
    assert _intro(app).status == "accepted"
    with app.app_context():
        [connection] = db.session.scalars(select(RemoteConnection).where(
            RemoteConnection.member_id == claire.id)).all()
        assert connection.status == "connected"
    accepts = [r for r in peer.received if r["activity"]["type"] == "Accept"]
    assert [a["activity"]["object"]["id"] for a in accepts] == [f"{peer.origin}/follows/claire"]
    assert accepts[0]["signer"] == claire_actor


def test_our_actors_say_they_take_introduction_offers(app, ours, ada, client_for):
    document = client_for("reseau").get(
        f"/ap/members/{ada.id}", headers={"Accept": "application/activity+json"}).get_json()
    assert document["acceptsIntroductions"] is True
    terms = document["@context"][-1]
    assert terms["acceptsIntroductions"] == "pn:acceptsIntroductions"
    assert terms["pn"] == "https://maillon.org/ns#"


def test_the_requesters_export_names_a_target_on_another_server(app, ours, peer, ada, claire,
                                                                bob):
    from maillon.rights.export import export_member_data

    intro_id = _ask(app, claire, bob)
    with app.app_context():
        data = export_member_data(db.session, instance_row("reseau"), member_row(claire.id))
    [started] = data["introductions"]["started"]
    assert started["id"] == intro_id
    assert started["target"] == {"id": peer.actor_id, "name": "Bob Peer",
                                 "handle": f"bob@{peer.origin.split('://', 1)[1]}"}


def test_the_chain_runs_through_local_relays_to_the_remote_persons_contact(
        app, ours, peer, ada, claire, bob, create_member, opt_in, login):
    from maillon.introductions import services

    eve = create_member("reseau", name="Eve Martin", locale="en")
    opt_in(eve)
    with app.app_context():
        instance = instance_row("reseau")
        row = network.request_connection(db.session, instance, member_row(eve.id), claire.id)
        network.accept_connection(db.session, instance, member_row(claire.id), row.id)
        db.session.commit()
        intro = services.request_introduction(
            db.session, instance, member_row(eve.id), None, remote_target_id=bob,
            message="I build ferries and would like to meet Bob.", purpose="business")
        intro_id = intro.id
    assert _intro(app).path == [eve.id, claire.id, ada.id, -bob]
    # Claire relays it to Ada (she sees no reroute to offer at her hop toward the border).
    assert login(claire).post(f"/introductions/{intro_id}/forward",
                              data={"note": "Over to you", "vouch": ""}).status_code == 303
    _drain(app)
    assert _offers(peer) == [] and _intro(app).holder_id == ada.id
    assert login(ada).post(f"/introductions/{intro_id}/forward",
                           data={"note": "", "vouch": "Both fine people"}).status_code == 303
    _drain(app)
    [received] = _offers(peer)
    assert received["activity"]["hop"] == 3
    assert received["activity"]["object"]["subject"] == f"{ours}/ap/members/{eve.id}"


def test_withdrawing_a_waiting_request_takes_it_back_on_their_server(
        app, ours, peer, ada, claire, bob, login):
    intro_id = _ask(app, claire, bob)
    login(ada).post(f"/introductions/{intro_id}/forward", data={"note": "", "vouch": ""})
    _drain(app)
    [received] = _offers(peer)
    for _ in range(2):  # a double click withdraws once
        assert login(claire).post(f"/introductions/{intro_id}/withdraw").status_code == 303
    _drain(app)
    assert _intro(app).status == "withdrawn"
    [undo] = [r for r in peer.received if r["activity"]["type"] == "Undo"]
    assert undo["signer"] == f"{ours}/ap/members/{ada.id}"  # who sent it takes it back
    assert undo["activity"]["object"]["id"] == received["activity"]["id"]
    assert undo["activity"]["to"] == [peer.actor_id]


def test_withdrawing_a_direct_message_deletes_it(app, ours, peer, ada, claire, mastodon_bob,
                                                 login):
    intro_id = _ask(app, claire, mastodon_bob)
    login(ada).post(f"/introductions/{intro_id}/forward", data={"note": "", "vouch": ""})
    _drain(app)
    [created] = [r for r in peer.received if r["activity"]["type"] == "Create"]
    login(claire).post(f"/introductions/{intro_id}/withdraw")
    _drain(app)
    [deleted] = [r for r in peer.received if r["activity"]["type"] == "Delete"]
    assert deleted["signer"] == f"{ours}/ap/members/{ada.id}"
    assert deleted["activity"]["object"] == {"id": created["activity"]["object"]["id"],
                                             "type": "Tombstone"}
