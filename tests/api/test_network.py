"""The network API: connections, private trust, the list, degrees in profiles and search."""

import pytest
from sqlalchemy import func, select

from maillon.db import db
from maillon.network.models import Connection
from tests.api.conftest import bearer, error_of
from tests.network.test_connections import connect


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Connection.id)))


@pytest.fixture
def pair(create_member, token_for):
    a = create_member("reseau", name="Aline")
    b = create_member("reseau", name="Basile")
    return a, b, bearer(token_for(a)), bearer(token_for(b))


def test_request_answers_pending_and_a_repeat_returns_it(app, api, pair):
    a, b, ta, _ = pair
    client = api("reseau")
    first = client.post("/api/v1/connections", json={"member_id": b.id, "message": "Salut"},
                        headers=ta)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "pending" and body["member"]["id"] == b.id
    assert body["direction"] == "out" and body["message"] == "Salut" and body["trust"] is None
    again = client.post("/api/v1/connections", json={"member_id": b.id, "message": "Salut"},
                        headers=ta)
    assert again.status_code == 201 and again.get_json()["id"] == body["id"]
    keyed = {**ta, "Idempotency-Key": "connect-1"}
    for _ in range(2):
        assert client.post("/api/v1/connections", json={"member_id": b.id},
                           headers=keyed).get_json()["id"] == body["id"]
    assert _count(app) == 1


def test_accept_only_by_the_invited_member_then_replays(app, api, pair):
    a, b, ta, tb = pair
    client = api("reseau")
    cid = client.post("/api/v1/connections", json={"member_id": b.id}, headers=ta).get_json()["id"]
    refused = client.post(f"/api/v1/connections/{cid}/accept", headers=ta)
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_allowed"
    accepted = client.post(f"/api/v1/connections/{cid}/accept", json={"trust": 4}, headers=tb)
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "connected" and accepted.get_json()["trust"] == 4
    replay = client.post(f"/api/v1/connections/{cid}/accept", headers=tb)
    assert replay.status_code == 200 and replay.get_json()["id"] == cid
    assert _count(app) == 1
    bad = client.post(f"/api/v1/connections/{cid}/accept", json={"trust": 9}, headers=tb)
    assert bad.status_code == 422 and "trust" in error_of(bad)["fields"]


def test_requests_from_both_sides_connect_once(app, api, pair):
    a, b, ta, tb = pair
    client = api("reseau")
    client.post("/api/v1/connections", json={"member_id": b.id}, headers=ta)
    answer = client.post("/api/v1/connections", json={"member_id": a.id}, headers=tb)
    assert answer.status_code == 200 and answer.get_json()["status"] == "connected"
    assert _count(app) == 1


def test_no_self_connection(api, pair):
    a, _, ta, _ = pair
    response = api("reseau").post("/api/v1/connections", json={"member_id": a.id}, headers=ta)
    assert response.status_code == 422 and error_of(response)["code"] == "cannot_connect_self"


def test_decline_and_delete(app, api, pair, create_member, token_for):
    a, b, ta, tb = pair
    client = api("reseau")
    cid = client.post("/api/v1/connections", json={"member_id": b.id}, headers=ta).get_json()["id"]
    declined = client.post(f"/api/v1/connections/{cid}/decline", headers=tb)
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    c = create_member("reseau")
    connection_id = connect(app, a, c)
    assert client.delete(f"/api/v1/connections/{connection_id}",
                         headers=bearer(token_for(c))).status_code == 204
    listed = client.get("/api/v1/connections", headers=ta).get_json()
    assert listed == {"total": 0, "results": []}


def test_trust_is_private_to_each_side(app, api, pair):
    a, b, ta, tb = pair
    client = api("reseau")
    cid = connect(app, a, b)
    assert client.put(f"/api/v1/connections/{cid}/trust", json={"trust": 5},
                      headers=ta).get_json()["trust"] == 5
    assert client.put(f"/api/v1/connections/{cid}/trust", json={"trust": 1},
                      headers=tb).get_json()["trust"] == 1
    for token, own in ((ta, 5), (tb, 1)):
        listed = client.get("/api/v1/connections?status=connected", headers=token).get_json()
        assert listed["total"] == 1 and listed["results"][0]["trust"] == own
        assert "trust" not in listed["results"][0]["member"]
    for token, other in ((ta, b), (tb, a)):
        profile = client.get(f"/api/v1/members/{other.id}", headers=token).get_json()
        assert "trust" not in str(sorted(profile))
    assert client.put(f"/api/v1/connections/{cid}/trust", json={"trust": 0},
                      headers=ta).status_code == 422
    assert client.put(f"/api/v1/connections/{cid}/trust", json={"trust": "5"},
                      headers=ta).status_code == 422


def test_list_by_status_and_direction(app, api, pair, create_member):
    a, b, ta, tb = pair
    c = create_member("reseau")
    client = api("reseau")
    client.post("/api/v1/connections", json={"member_id": b.id}, headers=ta)
    connect(app, a, c)
    everything = client.get("/api/v1/connections", headers=ta).get_json()
    assert everything["total"] == 2
    assert {r["status"] for r in everything["results"]} == {"pending", "connected"}
    received = client.get("/api/v1/connections?status=pending&direction=in",
                          headers=tb).get_json()
    assert [r["member"]["id"] for r in received["results"]] == [a.id]
    assert client.get("/api/v1/connections?status=bogus", headers=ta).status_code == 422


def test_another_instances_ids_are_404(app, api, pair, create_member, token_for):
    a, b, ta, _ = pair
    cid = connect(app, a, b)
    x = create_member("acme")
    tx = bearer(token_for(x))
    acme = api("acme")
    assert acme.post("/api/v1/connections", json={"member_id": a.id},
                     headers=tx).status_code == 404
    for method, path, body in (("post", f"/api/v1/connections/{cid}/accept", None),
                               ("post", f"/api/v1/connections/{cid}/decline", None),
                               ("delete", f"/api/v1/connections/{cid}", None),
                               ("put", f"/api/v1/connections/{cid}/trust", {"trust": 3})):
        response = getattr(acme, method)(path, json=body, headers=tx)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert api("reseau").post("/api/v1/connections", json={"member_id": x.id},
                              headers=ta).status_code == 404
    assert acme.get("/api/v1/connections", headers=tx).get_json()["total"] == 0


def test_member_profile_has_degree_and_shared_connections(app, api, create_member, token_for):
    a, b, c, d = (create_member("reseau") for _ in range(4))
    connect(app, a, b)
    connect(app, b, c)
    connect(app, a, d)
    connect(app, d, c)
    token = bearer(token_for(a))
    client = api("reseau")
    assert client.get(f"/api/v1/members/{c.id}", headers=token).get_json()["degree"] == 2
    body = client.get(f"/api/v1/members/{c.id}", headers=token).get_json()
    assert body["shared_connections"] == 2
    assert client.get(f"/api/v1/members/{b.id}", headers=token).get_json()["degree"] == 1
    assert client.get(f"/api/v1/members/{a.id}", headers=token).get_json()["degree"] == 0


def test_search_degree_filter_and_degrees(app, api, create_member, token_for, run_jobs):
    a = create_member("reseau", name="Agathe")
    b = create_member("reseau", name="Bertrand Potier", headline="potier")
    c = create_member("reseau", name="Claire Potier", headline="potier")
    create_member("reseau", name="Denis Potier", headline="potier")
    connect(app, a, b)
    connect(app, b, c)
    run_jobs()
    client = api("reseau")
    token = bearer(token_for(a))
    everyone = client.get("/api/v1/search?q=potier", headers=token).get_json()
    degrees = {r["name"]: r["degree"] for r in everyone["results"]}
    assert degrees == {"Bertrand Potier": 1, "Claire Potier": 2, "Denis Potier": None}
    assert everyone["results"][0]["name"] == "Bertrand Potier"  # closer ranks higher
    assert dict(map(tuple, everyone["facets"]["degree"])) == {1: 1, 2: 2, 3: 2}
    first = client.get("/api/v1/search?q=potier&degree=1", headers=token).get_json()
    assert [r["name"] for r in first["results"]] == ["Bertrand Potier"]
    second = client.get("/api/v1/search?q=potier&degree=2", headers=token).get_json()
    assert {r["name"] for r in second["results"]} == {"Bertrand Potier", "Claire Potier"}
    assert second["results"][1]["shared_connections"] == 1
