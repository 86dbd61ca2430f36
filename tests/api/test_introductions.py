"""The introductions API: paths, requests and their relay, direct messages, isolation."""

from __future__ import annotations

import pytest

from maillon.introductions.models import IntroductionEvent
from tests.api.conftest import bearer, error_of
from tests.introductions.world import MESSAGE, World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


@pytest.fixture
def people(world, token_for):
    """R - A - B - T in reseau (full chains), with a token each. T lists its contacts to
    every member (else B, next to T, is not named to R before T accepts)."""
    ids = world.members("Requester", "Alice", "Bob", "Target")
    world.chain(*ids, trust=4)
    world.update(ids[-1], visibility={"in_directory": True, "contacts_visible_to": "members"})
    return ids, {member_id: token(world, token_for, member_id) for member_id in ids}


def token(world, token_for, member_id):
    with world.app.app_context():
        member = world.get(member_id)
    return bearer(token_for(member))


def test_paths(api, people, world, token_for, create_member):
    (r, a, b, t), tokens = people
    client = api("reseau")
    answer = client.get(f"/api/v1/members/{t}/paths", headers=tokens[r])
    assert answer.status_code == 200, answer.json
    assert answer.json["degree"] == 3
    [path] = answer.json["paths"]
    assert path["hops"] == 3 and 0 < path["trust"] <= 1
    assert [m["id"] for m in path["members"]] == [a, b]
    assert client.get(f"/api/v1/members/{t}/paths?limit=0", headers=tokens[r]).status_code == 422
    # acme shows only the first link: the rest is null.
    acme = World(world.app, create_member, slug="acme")
    ids = acme.members("R", "A", "B", "T")
    acme.chain(*ids)
    acme_token = token(acme, token_for, ids[0])
    answer = api("acme").get(f"/api/v1/members/{ids[3]}/paths", headers=acme_token)
    assert [m and m["id"] for m in answer.json["paths"][0]["members"]] == [ids[1], None]
    assert api("acme").get(f"/api/v1/members/{t}/paths", headers=acme_token).status_code == 404


def test_request_relay_and_accept(api, people):
    (r, a, b, t), tokens = people
    client = api("reseau")
    created = client.post("/api/v1/introductions", headers=tokens[r], json={
        "target_id": t, "message": MESSAGE, "purpose": "research"})
    assert created.status_code == 201, created.json
    intro = created.json
    assert {k: intro[k] for k in ("status", "hops", "current_hop")} == {
        "status": "in_progress", "hops": 3, "current_hop": 1}
    url = f"/api/v1/introductions/{intro['id']}"
    denied = client.post(url + "/forward", headers=tokens[r], json={})
    assert denied.status_code == 403 and error_of(denied)["code"] == "not_current_hop"
    first = client.post(url + "/forward", headers=tokens[a], json={"note": "for Bob",
                                                                   "vouch": "solid"})
    assert first.status_code == 200 and first.json["current_hop"] == 2
    again = client.post(url + "/forward", headers=tokens[a], json={"note": "for Bob",
                                                                   "vouch": "solid"})
    assert again.status_code == 200 and again.json["current_hop"] == 2
    delivered = client.post(url + "/forward", headers=tokens[b], json={})
    assert delivered.json["status"] == "delivered" and delivered.json["current_hop"] == 3
    listed = client.get("/api/v1/introductions?role=received", headers=tokens[t])
    assert listed.json["total"] == 1 and listed.json["results"][0]["id"] == intro["id"]
    assert client.get("/api/v1/introductions?role=nope", headers=tokens[t]).status_code == 422
    accepted = client.post(url + "/accept", headers=tokens[t], json={"message": "Gladly"})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    mine = client.get(url, headers=tokens[r]).json
    assert mine["contact"]["email"].startswith("member4.")
    kinds = [e["kind"] for e in mine["events"]]
    assert kinds == ["requested", "forwarded", "forwarded", "delivered", "accepted"]
    assert mine["events"][1]["actor"]["id"] == a and "note" not in mine["events"][1]["data"]
    assert client.get(url, headers=tokens[t]).json["vouches"][0]["text"] == "solid"
    thanks = client.post(url + "/thank", headers=tokens[t], json={"message": "Thank you"})
    assert thanks.status_code == 200


def test_decline_advise_reject_withdraw(api, people, world):
    (r, a, b, t), tokens = people
    client = api("reseau")

    def ask(target):
        answer = client.post("/api/v1/introductions", headers=tokens[r], json={
            "target_id": target, "message": MESSAGE, "purpose": "advice"})
        assert answer.status_code == 201, answer.json
        return f"/api/v1/introductions/{answer.json['id']}"

    url = ask(t)
    declined = client.post(url + "/decline", headers=tokens[a], json={"reason": "no"})
    assert declined.json["status"] == "declined"
    seen = client.get(url, headers=tokens[r]).json
    assert [e["actor"] for e in seen["events"] if e["kind"] == "declined"] == [None]
    closed = client.post(url + "/advise", headers=tokens[a], json={"advice": "x"})
    assert closed.status_code == 409 and error_of(closed)["code"] == "already_closed"
    assert client.post(url + "/withdraw", headers=tokens[r]).json["status"] == "withdrawn"
    url = ask(b)
    advised = client.post(url + "/advise", headers=tokens[a], json={"advice": "Call him."})
    assert advised.json["status"] == "advised"
    assert client.get(url, headers=tokens[r]).json["advice"] == "Call him."
    url = ask(a)
    assert client.post(url + "/accept", headers=tokens[r], json={}).status_code == 403
    rejected = client.post(url + "/reject", headers=tokens[a], json={"message": "Sorry"})
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"


def test_refusals(api, people, world):
    (r, a, b, t), tokens = people
    client = api("reseau")
    world.update(t, contact_policy={"purposes": ["advice"]})
    answer = client.post("/api/v1/introductions", headers=tokens[r], json={
        "target_id": t, "message": MESSAGE, "purpose": "recruiting"})
    assert answer.status_code == 403 and error_of(answer)["code"] == "purpose_not_accepted"
    answer = client.post("/api/v1/introductions", headers=tokens[r], json={
        "target_id": t, "message": "short", "purpose": "advice"})
    assert answer.status_code == 422 and "message" in error_of(answer)["fields"]
    answer = client.post("/api/v1/introductions", json={
        "target_id": t, "message": MESSAGE, "purpose": "advice"})
    assert answer.status_code == 401


def test_direct_messages(api, people, world):
    (r, a, b, t), tokens = people
    client = api("reseau")
    sent = client.post("/api/v1/messages", headers=tokens[r], json={"to_member_id": a,
                                                                   "text": "Hi Alice"})
    assert sent.status_code == 201 and sent.json["to_member_id"] == a
    refused = client.post("/api/v1/messages", headers=tokens[r], json={"to_member_id": t,
                                                                      "text": "Hi"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "direct_contact_not_allowed"


def test_idempotency_key_replays(api, people, world):
    (r, a, b, t), tokens = people
    client = api("reseau")
    body = {"target_id": t, "message": MESSAGE, "purpose": "advice"}
    intro = client.post("/api/v1/introductions", headers=tokens[r], json=body).json
    headers = {**tokens[a], "Idempotency-Key": "forward-1"}
    url = f"/api/v1/introductions/{intro['id']}/forward"
    first = client.post(url, headers=headers, json={})
    second = client.post(url, headers=headers, json={})
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    with world.app.app_context():
        from sqlalchemy import func, select

        from maillon.db import db

        assert db.session.scalar(select(func.count(IntroductionEvent.id)).where(
            IntroductionEvent.kind == "forwarded")) == 1


def test_another_instance_gets_404_everywhere(api, people, world, create_member, token_for):
    (r, a, b, t), tokens = people
    client = api("reseau")
    intro = client.post("/api/v1/introductions", headers=tokens[r], json={
        "target_id": t, "message": MESSAGE, "purpose": "advice"}).json
    stranger = create_member("acme")
    stranger_token = bearer(token_for(stranger))
    acme = api("acme")
    url = f"/api/v1/introductions/{intro['id']}"
    calls = [("get", url, None), ("post", url + "/forward", {}),
             ("post", url + "/decline", {}), ("post", url + "/advise", {"advice": "x"}),
             ("post", url + "/accept", {}), ("post", url + "/reject", {}),
             ("post", url + "/withdraw", None), ("post", url + "/retry", None),
             ("post", url + "/thank", {"message": "x"}),
             ("get", f"/api/v1/members/{t}/paths", None)]
    for method, path, body in calls:
        answer = getattr(acme, method)(path, headers=stranger_token, json=body)
        assert answer.status_code == 404, (path, answer.status_code)
        assert error_of(answer)["code"] == "not_found"
    body = {"target_id": t, "message": MESSAGE, "purpose": "advice"}
    assert acme.post("/api/v1/introductions", headers=stranger_token, json=body).status_code == 404
    assert acme.post("/api/v1/messages", headers=stranger_token,
                     json={"to_member_id": t, "text": "hi"}).status_code == 404
    # The reseau token does not work on acme either.
    assert acme.get(url, headers=tokens[r]).status_code == 401
    assert acme.get("/api/v1/introductions", headers=stranger_token).json["total"] == 0


def test_stepwise_hides_everyone_but_neighbours_in_every_view(api, world, create_member,
                                                              token_for):
    """academia is stepwise: paths, the request, the lists and the notifications name only a
    member's neighbours (and both ends) until the target accepts; then the whole chain."""
    from sqlalchemy import select

    from maillon.db import db
    from maillon.notifications.models import Notification

    academia = World(world.app, create_member, slug="academia")
    names = ["Rosa Requester", "Alba Anders", "Bertil Berg", "Cosima Cruz", "Tessa Target"]
    ids = academia.members(*names)
    academia.chain(*ids, trust=4)
    r, a, b, c, t = ids
    name = dict(zip(ids, names, strict=True))
    tokens = {m: token(academia, token_for, m) for m in ids}
    client = api("academia")

    def seen_by(member, *urls):
        text = "".join(client.get(url, headers=tokens[member]).get_data(as_text=True)
                       for url in urls)
        with world.app.app_context():
            for n in db.session.scalars(select(Notification).where(
                    Notification.member_id == member)):
                text += f" actor={n.actor_id} {n.data}"
        return text

    def hidden(member, others, *urls):
        text = seen_by(member, *urls)
        for other in others:
            assert name[other] not in text, (name[member], name[other])
            assert f"actor={other} " not in text, (name[member], name[other])

    paths = client.get(f"/api/v1/members/{t}/paths", headers=tokens[r]).json
    assert [m and m["id"] for m in paths["paths"][0]["members"]] == [a, None, None]
    hidden(r, (b, c), f"/api/v1/members/{t}/paths")
    intro = client.post("/api/v1/introductions", headers=tokens[r], json={
        "target_id": t, "message": MESSAGE, "purpose": "research"}).json
    url = f"/api/v1/introductions/{intro['id']}"
    lists = "/api/v1/introductions?role=relaying"
    for holder in (a, b, c):
        answer = client.post(url + "/forward", headers=tokens[holder],
                             json={"note": f"over to you from {name[holder]}"})
        assert answer.status_code == 200, answer.json
    hidden(r, (b, c), url, "/api/v1/introductions")
    hidden(a, (c,), url, lists)
    hidden(b, (), url, lists)
    hidden(c, (a,), url, lists)
    hidden(t, (a, b), url, "/api/v1/introductions?role=received")
    assert f"actor={b} " in seen_by(c) and name[b] in seen_by(c, url)  # neighbours are named
    assert f"actor={c} " in seen_by(t)
    assert client.post(url + "/accept", headers=tokens[t], json={}).status_code == 200
    chain = client.get(url, headers=tokens[r]).json["chain"]
    assert [m["id"] for m in chain] == [a, b, c]
