"""Chains that continue on the other server (decision 61), between two communities of one
deployment (academia and Réseau Entraide, exchanging through the app itself).

Ana (academia) wants to meet Bruno (reseau), whom nobody in academia knows. Claire (academia)
is connected with Xavier (reseau), who knows Bruno. Academia asks reseau, with a signed reach
query, how far Xavier is from Bruno; the request runs to Claire, whose forward sends the Offer
to Xavier, for Bruno. Refusals and privacy first: the query wants a verified signature, speaks
only of people reachable from outside who relay, never of a hidden target, and its answer does
not move with anyone's private rating."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.federation import urls
from maillon.federation.delivery import queue_delivery
from maillon.federation.models import Delivery, RemoteActor
from maillon.introductions.models import Introduction
from maillon.network import services as network
from tests.api.conftest import bearer
from tests.federation.conftest import instance_row, member_row
from tests.federation.test_connections import _drain


def _link(app: Flask, slug: str, a: Any, b: Any, trust_a: int | None = None) -> int:
    with app.app_context():
        instance = instance_row(slug)
        row = network.request_connection(db.session, instance, member_row(a.id), b.id)
        network.accept_connection(db.session, instance, member_row(b.id), row.id)
        db.session.commit()
        if trust_a is not None:
            network.set_trust(db.session, instance, member_row(a.id), row.id, trust_a)
            db.session.commit()
        return int(row.id)


def _token(app: Flask, member: Any) -> dict[str, str]:
    from maillon.accounts.services import issue_api_token

    with app.app_context():
        return bearer(issue_api_token(db.session, member_row(member.id)))


def _connect_across(app: Flask, client_for: Any, a: dict[str, Any], b: dict[str, Any]) -> None:
    """A (academia) and B (reseau) connect as any two people of sister communities do."""
    asked = client_for(a["slug"]).post("/api/v1/remote-connections",
                                       json={"address": b["address"]}, headers=a["auth"])
    assert asked.status_code == 201, asked.get_json()
    _drain(app)
    _drain(app)
    accepted = client_for(b["slug"]).post("/api/v1/remote-connections",
                                          json={"address": a["address"]}, headers=b["auth"])
    assert accepted.get_json()["status"] == "connected", accepted.get_json()
    _drain(app)
    _drain(app)


@pytest.fixture
def border(app: Flask, sisters: dict[str, Any], create_member: Callable[..., Any],
           opt_in: Callable[..., str], client_for: Any) -> dict[str, Any]:
    """Ana - Claire (academia) · Claire ~ Xavier (across) · Xavier - Bruno (reseau)."""
    claire, bruno = sisters["claire"], sisters["bruno"]
    ana = create_member("academia", name="Ana Costa", locale="en")
    opt_in(ana)
    xavier = create_member("reseau", name="Xavier Roux", locale="en")
    handle = opt_in(xavier)
    xavier_person = {"member": xavier, "slug": "reseau", "auth": _token(app, xavier),
                     "address": f"@{handle}@reseau.localhost"}
    _link(app, "academia", ana, claire["member"])
    _link(app, "reseau", xavier, bruno["member"])
    _connect_across(app, client_for, claire, xavier_person)
    with app.app_context():
        reseau = instance_row("reseau")
        uris = {"bruno": urls.member_actor(reseau, bruno["member"].id),
                "xavier": urls.member_actor(reseau, xavier.id)}
    return {**sisters, "ana": {"member": ana, "slug": "academia", "auth": _token(app, ana)},
            "xavier": xavier_person, "uris": uris}


def _reach(app: Flask, to: str, sources: list[str], max_links: int = 4) -> dict[str, Any]:
    """Academia's signed reach query to reseau, as the planning sends it."""
    from maillon.introductions.reach import ask_reach

    with app.app_context():
        return ask_reach(db.session, instance_row("academia"), to, sources, max_links,
                         "advice")


def _ask(client_for: Any, border: dict[str, Any]) -> Any:
    return client_for("academia").post(
        "/api/v1/introductions", headers=border["ana"]["auth"],
        json={"remote_target": border["uris"]["bruno"], "purpose": "advice",
              "message": "I would like to talk about harbour logistics."})


# ----------------------------------------------------------------- the answering server


def test_the_reach_query_wants_a_verified_signature(border, client_for):
    answer = client_for("reseau").get("/ap/reach", query_string={
        "to": border["uris"]["bruno"], "from": border["uris"]["xavier"]})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unsigned"


@pytest.mark.parametrize("severity", ["limit", "suspend"])
def test_a_limited_or_suspended_sister_gets_no_answer(app, border, federate, severity):
    from maillon.federation.fetch import FetchFailed

    federate("reseau", servers=[{"domain": "academia.localhost", "severity": severity}])
    with pytest.raises(FetchFailed) as refused:
        _reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]])
    assert refused.value.code == "http_403"


def test_it_counts_the_links_from_each_entry_to_the_target(app, border):
    answer = _reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]])
    assert [(r["from"], r["hops"]) for r in answer["reach"]] == [
        (border["uris"]["xavier"], 1)]
    assert answer["maxHops"] == 6


def test_a_hidden_target_is_as_absent_as_an_unknown_one(app, border):
    from maillon.federation.fetch import FetchFailed

    with app.app_context():
        row = member_row(border["bruno"]["member"].id)
        row.visibility = {**(row.visibility or {}), "in_directory": False}
        db.session.commit()
        unknown = urls.member_actor(instance_row("reseau"), 999_999)
    codes = []
    for to in (border["uris"]["bruno"], unknown):
        with pytest.raises(FetchFailed) as absent:
            _reach(app, to, [border["uris"]["xavier"]])
        codes.append(absent.value.code)
    assert codes == ["http_404", "http_404"]


@pytest.mark.parametrize("change", ["not_relaying", "hidden", "not_federated"])
def test_only_entries_reachable_from_outside_who_relay_are_counted(app, border, change):
    with app.app_context():
        row = member_row(border["xavier"]["member"].id)
        if change == "not_relaying":
            row.relaying = "off"
        elif change == "hidden":
            row.visibility = {**(row.visibility or {}), "in_directory": False}
        else:
            from maillon.federation.membership import find_federated_member

            found = find_federated_member(db.session, instance_row("reseau"), row.id)
            assert found is not None
            found.enabled = False
        db.session.commit()
    assert _reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]])["reach"] == []


def test_a_target_who_takes_no_introductions_is_reached_by_no_chain(app, border):
    with app.app_context():
        row = member_row(border["bruno"]["member"].id)
        row.contact_policy = {**(row.contact_policy or {}), "introductions": False}
        db.session.commit()
    assert _reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]])["reach"] == []


def test_the_answer_does_not_move_with_a_private_rating(app, border, create_member, opt_in):
    """Xavier reaches Bruno through Yann. Xavier's rating of Yann is private: rated 2 or 4
    (the same coarse level of their link, with Yann's 3), academia reads the same answer, so
    nothing of it leaks through the score (or the order it sets among entries)."""
    bruno, xavier = border["bruno"]["member"], border["xavier"]["member"]
    with app.app_context():
        reseau = instance_row("reseau")
        row = network.find_connection_between(db.session, reseau, xavier.id, bruno.id)
        assert row is not None
        network.remove_connection(db.session, reseau, member_row(xavier.id), row.id)
        db.session.commit()
    yann = create_member("reseau", name="Yann Le Gall")
    opt_in(yann)
    link = _link(app, "reseau", xavier, yann)
    _link(app, "reseau", yann, bruno)
    answers = []
    for rating in (2, 4):
        with app.app_context():
            reseau = instance_row("reseau")
            network.set_trust(db.session, reseau, member_row(xavier.id), link, rating)
            network.set_trust(db.session, reseau, member_row(yann.id), link, 3)
            db.session.commit()
        answers.append(_reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]]))
    assert answers[0] == answers[1]
    [reach] = answers[0]["reach"]
    assert reach["hops"] == 2
    # The one next to Bruno is never named (his contacts may be private).
    assert reach["via"] == [{"id": None, "name": None}]


def test_people_between_are_named_only_if_reachable_and_the_policy_shows_chains(
        app, border, create_member, opt_in):
    """Xavier - Yann - Zoé - Bruno: Yann (reachable from outside) is named while reseau
    shows whole chains, and no longer when it shows only the first link; Zoé, next to
    Bruno, never."""
    bruno, xavier = border["bruno"]["member"], border["xavier"]["member"]
    with app.app_context():
        reseau = instance_row("reseau")
        row = network.find_connection_between(db.session, reseau, xavier.id, bruno.id)
        network.remove_connection(db.session, reseau, member_row(xavier.id), row.id)
        db.session.commit()
    yann = create_member("reseau", name="Yann Le Gall")
    zoe = create_member("reseau", name="Zoé Blanc")
    opt_in(yann)
    opt_in(zoe)
    _link(app, "reseau", xavier, yann)
    _link(app, "reseau", yann, zoe)
    _link(app, "reseau", zoe, bruno)
    [reach] = _reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]])["reach"]
    with app.app_context():
        yann_uri = urls.member_actor(instance_row("reseau"), yann.id)
    assert reach["hops"] == 3
    assert reach["via"] == [{"id": yann_uri, "name": "Yann Le Gall"},
                            {"id": None, "name": None}]
    with app.app_context():
        instance = instance_row("reseau")
        instance.overrides = {**instance.overrides,
                              "introductions.chain_visibility": "first_link"}
        db.session.commit()
    [reach] = _reach(app, border["uris"]["bruno"], [border["uris"]["xavier"]])["reach"]
    assert reach["via"] == [{"id": None, "name": None}, {"id": None, "name": None}]


# --------------------------------------------------------------------- the asking server


def _intro(app: Flask) -> Introduction:
    with app.app_context():
        intro = db.session.scalar(select(Introduction))
        assert intro is not None
        db.session.expunge(intro)
        return intro


def _forward(client_for: Any, border: dict[str, Any], intro_id: int) -> None:
    answer = client_for("academia").post(
        f"/api/v1/introductions/{intro_id}/forward", headers=border["claire"]["auth"],
        json={"vouch": "Ana and I worked together for years."})
    assert answer.status_code == 200, answer.get_json()


def _answer_from(app: Flask, slug_member: Any, kind: str, intro: Introduction,
                 n: int = 1) -> None:
    """A member of reseau answers the Offer (what reseau's side sends), signed by them."""
    with app.app_context():
        reseau = instance_row("reseau")
        me = urls.member_actor(reseau, slug_member.id)
        claire = db.session.scalar(select(RemoteActor).where(
            RemoteActor.instance_id == reseau.id, RemoteActor.uri.like("%academia%members%")))
        assert claire is not None
        queue_delivery(db.session, reseau, member_row(slug_member.id), {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{me}/introduction-answers/test-{kind}-{n}", "type": kind, "actor": me,
            "to": [claire.uri], "object": {"id": intro.offer_id, "type": "Offer"}},
            [claire.inbox])
        db.session.commit()
    _drain(app)
    _drain(app)


def test_a_request_to_someone_nobody_here_knows_runs_to_the_border_and_across(
        app, border, client_for):
    asked = _ask(client_for, border)
    assert asked.status_code == 201, asked.get_json()
    intro = _intro(app)
    ana, claire = border["ana"]["member"], border["claire"]["member"]
    assert intro.path[:2] == [ana.id, claire.id] and intro.path[2] < 0
    assert intro.remote_beyond is None and intro.remote_entry_id is not None
    view = client_for("academia").get(f"/api/v1/introductions/{intro.id}",
                                      headers=border["ana"]["auth"]).get_json()
    assert view["across"]["entry"]["name"] == "Xavier Roux"
    assert view["hops"] == 2 and view["links"] == 3  # Ana - Claire - across, then Bruno

    _forward(client_for, border, intro.id)
    with app.app_context():
        offers = [d.payload for d in db.session.scalars(select(Delivery))
                  if "Offer" in (d.payload.get("type") or [])]
    [offer] = offers
    assert offer["to"] == [border["uris"]["xavier"]]  # to the entry only, never public
    assert offer["target"] == border["uris"]["bruno"]
    assert offer["object"]["object"] == border["uris"]["bruno"]
    assert offer["hop"] == 2
    said = offer["content"].split("</p>")[0]  # who asks, for whom, through whom
    assert all(name in said for name in ("Ana Costa", "Bruno Marin", "Claire Martin")), said

    # An Accept from the entry is no answer of the target's: nothing changes.
    _answer_from(app, border["xavier"]["member"], "Accept", _intro(app))
    assert _intro(app).status == "delivered"
    _answer_from(app, border["bruno"]["member"], "Accept", _intro(app))
    assert _intro(app).status == "accepted"


def test_a_stop_on_their_side_is_a_decline_and_the_retry_goes_around_that_entry(
        app, border, client_for):
    assert _ask(client_for, border).status_code == 201
    intro = _intro(app)
    _forward(client_for, border, intro.id)
    # Someone on reseau's side said no: reseau's entry, Xavier, rejects for it.
    _answer_from(app, border["xavier"]["member"], "Reject", _intro(app))
    intro = _intro(app)
    assert intro.status == "declined"
    assert -intro.remote_entry_id in intro.avoid
    retried = client_for("academia").post(f"/api/v1/introductions/{intro.id}/retry",
                                          headers=border["ana"]["auth"])
    assert retried.status_code == 403, retried.get_json()  # no other way in
    assert retried.get_json()["error"]["code"] == "target_not_reachable"


def test_their_target_rejecting_rejects(app, border, client_for):
    assert _ask(client_for, border).status_code == 201
    intro = _intro(app)
    _forward(client_for, border, intro.id)
    _answer_from(app, border["bruno"]["member"], "Reject", _intro(app))
    assert _intro(app).status == "rejected"


def test_without_a_way_in_on_their_side_nothing_is_asked(app, border, client_for):
    with app.app_context():
        row = member_row(border["xavier"]["member"].id)
        row.relaying = "off"
        db.session.commit()
    asked = _ask(client_for, border)
    assert asked.status_code == 403, asked.get_json()
    assert asked.get_json()["error"]["code"] == "target_not_reachable"
    with app.app_context():
        assert db.session.scalar(select(Introduction)) is None


def test_the_pages_take_a_member_from_the_lookup_to_the_border_and_across(
        app, border, client_for, login):
    ana = login(border["ana"]["member"], "academia")
    address = border["bruno"]["address"]
    found = ana.get("/network/remote", query_string={"address": address})
    assert found.status_code == 200
    assert "Get introduced" in found.get_data(as_text=True)
    kept = ana.post("/network/remote/introduction", data={"address": address})
    assert kept.status_code == 303, kept.get_data(as_text=True)
    form_url = kept.headers["Location"]
    assert "/introductions/remote/" in form_url
    again = ana.post("/network/remote/introduction", data={"address": address})
    assert again.headers["Location"] == form_url  # a second click: the same person, once
    sent = ana.post(form_url, data={"purpose": "advice", "message":
                                    "I would like to talk about harbour logistics."})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    page = ana.get(sent.headers["Location"]).get_data(as_text=True)
    assert "On their server, the request goes to Xavier Roux first, who knows them." in page
    # The chain line goes on across: Claire here, Xavier on their server, then Bruno (whom
    # she asked to meet, named; never an ellipsis where the target is).
    line = page.split('class="chain chain-across"')[1].split("</ol>")[0]
    assert line.index("Claire") < line.index("Xavier Roux") < line.index("Bruno Marin"), line
    assert "on Réseau Entraide" in line
    intro = _intro(app)
    claire = login(border["claire"]["member"], "academia")
    page = claire.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "Next: Xavier Roux on Réseau Entraide, who will pass it on to Bruno Marin there" \
        in page


def test_a_requester_who_knows_someone_there_sends_it_across_at_once(
        app, border, client_for, create_member, opt_in, login):
    """Dora (academia) is herself connected with Xavier: her request crosses at once, an
    Offer signed by her, to Xavier, for Bruno (no relay here, nothing waits on anyone here)."""
    dora = create_member("academia", name="Dora Silva", locale="en")
    handle = opt_in(dora)
    person = {"member": dora, "slug": "academia", "auth": _token(app, dora),
              "address": f"@{handle}@academia.localhost"}
    _connect_across(app, client_for, person, border["xavier"])
    asked = client_for("academia").post(
        "/api/v1/introductions", headers=person["auth"],
        json={"remote_target": border["uris"]["bruno"], "purpose": "advice",
              "message": "I would like to talk about harbour logistics."})
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["status"] == "delivered"
    intro = _intro(app)
    assert intro.path[0] == dora.id and len(intro.path) == 2 and intro.holder_id is None
    with app.app_context():
        [offer] = [d.payload for d in db.session.scalars(select(Delivery))
                   if "Offer" in (d.payload.get("type") or [])]
        assert offer["actor"] == urls.member_actor(instance_row("academia"), dora.id)
    assert offer["to"] == [border["uris"]["xavier"]] and offer["hop"] == 1
    # She asks in her own name (not "through" herself).
    said = offer["content"].split("</p>")[0]
    assert said.count("Dora Silva") == 1 and "Bruno Marin" in said, said
    page = login(dora, "academia").get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "Sent to their server" in page and "Reached the person" not in page
    _drain(app)
    page = login(border["xavier"]["member"], "reseau").get(
        "/introductions/from-other-servers").get_data(as_text=True)
    assert "your connection there, who asks you directly" in page
    assert "introduced to you by Dora Silva" not in page


def test_between_sister_communities_each_acts_in_their_own_pages_to_the_end(
        app, border, client_for):
    """The whole chain between academia and reseau, through the app itself: Claire forwards
    in academia, Xavier passes it on in reseau, Bruno accepts there; academia shows it
    accepted, and Ana and Bruno connected."""
    assert _ask(client_for, border).status_code == 201
    intro = _intro(app)
    _forward(client_for, border, intro.id)
    _drain(app)
    _drain(app)
    reseau = client_for("reseau")
    xavier, bruno = border["xavier"], border["bruno"]
    [turn] = reseau.get("/api/v1/introductions/incoming",
                        headers=xavier["auth"]).get_json()["results"]
    assert turn["can_act"] and turn["target"]["name"] == "Bruno Marin", turn
    assert turn["requester"]["name"] == "Ana Costa"
    passed = reseau.post(f"/api/v1/introductions/incoming/{turn['id']}/pass",
                         json={"vouch": "Claire's word is good."}, headers=xavier["auth"])
    assert passed.status_code == 200, passed.get_json()
    [waiting] = reseau.get("/api/v1/introductions/incoming",
                           headers=bruno["auth"]).get_json()["results"]
    accepted = reseau.post(f"/api/v1/introductions/incoming/{waiting['id']}/accept",
                           headers=bruno["auth"])
    assert accepted.status_code == 200, accepted.get_json()
    for _ in range(3):
        _drain(app)
    assert _intro(app).status == "accepted"
    connections = client_for("academia").get("/api/v1/remote-connections",
                                             headers=border["ana"]["auth"]).get_json()
    assert [(c["person"]["name"], c["status"]) for c in connections["results"]] == [
        ("Bruno Marin", "connected")]


def test_get_introduced_to_nobody_goes_back_to_the_lookup_saying_why(border, login):
    ana = login(border["ana"]["member"], "academia")
    address = "@nobody.here@reseau.localhost"
    answer = ana.post("/network/remote/introduction", data={"address": address})
    assert answer.status_code == 303
    assert "/network/remote?address=" in answer.headers["Location"]
    page = ana.get(answer.headers["Location"]).get_data(as_text=True)
    assert "nobody.here@reseau.localhost" in page and "flash-error" in page
