"""The organisations API: pages, claims and decisions, reach and introducers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from maillon.db import db, utcnow
from maillon.organisations.models import Affiliation, Organisation
from tests.api.conftest import bearer, error_of
from tests.introductions.world import World


@pytest.fixture
def people(app, create_member, token_for):
    ana = create_member(
        "academia", name="Ana", email="ana@ibv.example.fr", email_verified_at=utcnow()
    )
    carl = create_member(
        "academia", name="Carl", email="carl@ibv.example.fr", email_verified_at=utcnow()
    )
    eve = create_member("academia", name="Eve")
    return {m.name: (m, bearer(token_for(m))) for m in (ana, carl, eve)}


def _create(api, headers, **body):
    return api("academia").post(
        "/api/v1/organisations",
        json={"name": "IBV", "sector": "research", "email_domains": ["ibv.example.fr"], **body},
        headers=headers,
    )


def test_create_replay_and_read(app, api, people):
    _ana, ta = people["Ana"]
    first = _create(api, ta)
    assert first.status_code == 201
    body = first.get_json()
    assert body["is_admin"] and body["members"] == 0 and body["sector"] == "research"
    assert _create(api, ta).status_code == 200
    keyed = {**ta, "Idempotency-Key": "org-1"}
    assert _create(api, keyed, name="Other").status_code == 201
    assert _create(api, keyed, name="Other").status_code == 201  # replayed answer
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == 2
    _eve, te = people["Eve"]
    read = api("academia").get(f"/api/v1/organisations/{body['id']}", headers=te)
    assert read.status_code == 200 and not read.get_json()["is_admin"]
    listed = api("academia").get("/api/v1/organisations?q=ibv", headers=te).get_json()
    assert [o["id"] for o in listed["results"]] == [body["id"]]


def test_refusals_have_stable_codes(api, people):
    _eve, te = people["Eve"]
    refused = _create(api, te, email_domains=[])
    assert refused.status_code == 403 and error_of(refused)["code"] == "email_not_verified"
    _ana, ta = people["Ana"]
    bad = _create(api, ta, website="javascript:alert(1)", sector="crime")
    assert bad.status_code == 422
    assert set(error_of(bad)["fields"]) == {"website", "sector"}
    _create(api, ta)
    _carl, tc = people["Carl"]
    taken = _create(api, tc, name="ibv", email_domains=[])
    assert taken.status_code == 409 and error_of(taken)["code"] == "organisation_exists"


def test_claims_confirmed_by_domain_or_by_an_admin(api, people):
    _ana, ta = people["Ana"]
    org = _create(api, ta).get_json()["id"]
    _carl, tc = people["Carl"]
    eve, te = people["Eve"]
    client = api("academia")
    by_domain = client.post(
        f"/api/v1/organisations/{org}/affiliations",
        json={"role": "PhD", "current": True},
        headers=tc,
    )
    assert by_domain.status_code == 201
    assert (by_domain.get_json()["status"], by_domain.get_json()["confirmed_by"]) == (
        "confirmed",
        "domain",
    )
    claim = client.post(
        f"/api/v1/organisations/{org}/affiliations", json={"current": False}, headers=te
    )
    assert claim.status_code == 201 and claim.get_json()["status"] == "pending"
    claim_id = claim.get_json()["id"]
    forbidden = client.post(
        f"/api/v1/affiliations/{by_domain.get_json()['id']}/confirm", headers=te
    )
    assert forbidden.status_code == 403
    assert error_of(forbidden)["code"] == "not_organisation_admin"
    pending = client.get(
        f"/api/v1/organisations/{org}/affiliations?status=pending", headers=ta
    ).get_json()
    assert [a["member_id"] for a in pending["results"]] == [eve.id]
    confirmed = client.post(f"/api/v1/affiliations/{claim_id}/confirm", headers=ta)
    assert confirmed.status_code == 200 and confirmed.get_json()["confirmed_by"] == "admin"
    late = client.post(f"/api/v1/affiliations/{claim_id}/decline", headers=ta)
    assert late.status_code == 409 and error_of(late)["code"] == "affiliation_not_pending"
    ended = client.post(f"/api/v1/affiliations/{claim_id}/end", headers=te)
    assert ended.get_json()["status"] == "ended"


def test_another_instances_organisation_is_not_found(api, people, create_member, token_for):
    _ana, ta = people["Ana"]
    org = _create(api, ta).get_json()["id"]
    stranger = bearer(token_for(create_member("acme", name="Sam", role="admin")))
    client = api("acme")
    for path in (
        f"/api/v1/organisations/{org}",
        f"/api/v1/organisations/{org}/reach",
        f"/api/v1/organisations/{org}/introducers?target_organisation_id={org}",
    ):
        assert client.get(path, headers=stranger).status_code == 404, path
    assert (
        client.post(
            f"/api/v1/organisations/{org}/affiliations", json={}, headers=stranger
        ).status_code
        == 404
    )


def test_reach_and_introducers(app, api, people, create_member):
    ana, ta = people["Ana"]
    carl, tc = people["Carl"]
    eve, te = people["Eve"]
    client = api("academia")
    org = _create(api, ta).get_json()["id"]
    client.post(f"/api/v1/organisations/{org}/affiliations", json={}, headers=tc)
    world = World(app, create_member, "academia")
    target = world.member(
        "Target", visibility={"in_directory": True, "contacts_visible_to": "members"}
    )
    world.connect(carl.id, target, 4, 4)
    reach = client.get(f"/api/v1/organisations/{org}/reach", headers=tc)
    assert reach.status_code == 200
    body = reach.get_json()
    assert (body["members"], body["first_degree"], body["second_degree"]) == (1, 1, 1)
    assert body["by_location"] == [] and body["min_group_size"] == 5
    outsider = client.get(f"/api/v1/organisations/{org}/reach", headers=te)
    assert outsider.status_code == 403
    assert error_of(outsider)["code"] == "not_organisation_member"
    found = client.get(f"/api/v1/organisations/{org}/introducers?target_id={target}", headers=ta)
    assert found.status_code == 200
    [row] = found.get_json()
    assert row["member"]["id"] == carl.id and row["hops"] == 1 and 0 < row["chance"] <= 1
    neither = client.get(f"/api/v1/organisations/{org}/introducers", headers=ta)
    assert neither.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Affiliation.id))) == 1
