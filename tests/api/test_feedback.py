"""Endorsement and recommendation endpoints: shapes, idempotency, first degree, 403 and 404."""

import pytest
from sqlalchemy import func, select

from maillon.db import db
from maillon.members.models import Member
from maillon.network import services as network
from maillon.network.endorsement_models import Endorsement
from maillon.tenancy.models import Instance
from tests.api.conftest import bearer, error_of

TEXT = "Léa ran the data platform with care. <script>alert(1)</script>"


def _connect(app, slug, a, b):
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == slug))
        row = network.request_connection(db.session, instance, db.session.get(Member, a.id),
                                         b.id)
        network.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)


@pytest.fixture
def people(app, create_member, token_for):
    """Léa lists skills; Marc is her connection; Zoé is not."""
    lea = create_member("reseau", name="Léa", skills=["Python", "Data science"])
    marc = create_member("reseau", name="Marc", headline="Engineer")
    zoe = create_member("reseau", name="Zoé")
    _connect(app, "reseau", lea, marc)
    return {name: (m, bearer(token_for(m))) for name, m in
            (("lea", lea), ("marc", marc), ("zoe", zoe))}


def _endorsements(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Endorsement.id)))


def test_endorse_is_201_then_200_and_one_row(api, app, people):
    lea, _ = people["lea"]
    _, marc = people["marc"]
    client = api("reseau")
    first = client.post(f"/api/v1/members/{lea.id}/endorsements", json={"skill": "python"},
                        headers=marc)
    assert first.status_code == 201
    assert first.get_json() == {"member_id": lea.id, "skill": "Python", "count": 1,
                                "endorsed": True}
    again = client.post(f"/api/v1/members/{lea.id}/endorsements", json={"skill": "Python"},
                        headers=marc)
    assert again.status_code == 200 and again.get_json()["count"] == 1
    assert _endorsements(app) == 1
    profile = client.get(f"/api/v1/members/{lea.id}", headers=marc).get_json()
    assert profile["endorsements"] == {"Python": 1}
    listed = client.get(f"/api/v1/members/{lea.id}/endorsements", headers=marc).get_json()
    assert listed["results"][0] == {"skill": "Python", "count": 1,
                                    "endorsers": [{"id": people["marc"][0].id, "name": "Marc"}]}


def test_endorse_beyond_first_degree_is_403(api, app, people):
    lea, _ = people["lea"]
    _, zoe = people["zoe"]
    response = api("reseau").post(f"/api/v1/members/{lea.id}/endorsements",
                                  json={"skill": "Python"}, headers=zoe)
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_connected"
    assert _endorsements(app) == 0


def test_endorse_unlisted_skill_is_422(api, people):
    lea, _ = people["lea"]
    _, marc = people["marc"]
    response = api("reseau").post(f"/api/v1/members/{lea.id}/endorsements",
                                  json={"skill": "Cooking"}, headers=marc)
    assert response.status_code == 422
    assert "skill" in error_of(response)["fields"]


def test_revoke_is_204_and_repeatable(api, app, people):
    lea, _ = people["lea"]
    _, marc = people["marc"]
    client = api("reseau")
    client.post(f"/api/v1/members/{lea.id}/endorsements", json={"skill": "Data science"},
                headers=marc)
    for _ in range(2):
        response = client.delete(f"/api/v1/members/{lea.id}/endorsements/data%20science",
                                 headers=marc)
        assert response.status_code == 204
    assert _endorsements(app) == 0


def test_recommendation_flow_and_shapes(api, people):
    lea, lea_auth = people["lea"]
    marc, marc_auth = people["marc"]
    _, zoe_auth = people["zoe"]
    client = api("reseau")
    written = client.post(f"/api/v1/members/{lea.id}/recommendations", headers=marc_auth,
                          json={"text": TEXT, "relationship": "same_team"})
    assert written.status_code == 201
    body = written.get_json()
    assert body["status"] == "pending" and body["text"] == TEXT
    assert body["author"] == {"id": marc.id, "name": "Marc", "headline": "Engineer"}
    rec_id = body["id"]
    # pending: not public, but the author and the recommended member see it
    assert client.get(f"/api/v1/members/{lea.id}", headers=zoe_auth).get_json()[
        "recommendations"] == []
    assert client.get(f"/api/v1/members/{lea.id}/recommendations", headers=zoe_auth
                      ).get_json() == {"total": 0, "results": []}
    assert client.get(f"/api/v1/members/{lea.id}/recommendations", headers=marc_auth
                      ).get_json()["total"] == 1
    # only the recommended member approves: 403 for the author, 404 for someone who can't see
    refused = client.post(f"/api/v1/recommendations/{rec_id}/approve", headers=marc_auth)
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_allowed"
    assert client.post(f"/api/v1/recommendations/{rec_id}/approve",
                       headers=zoe_auth).status_code == 404
    approved = client.post(f"/api/v1/recommendations/{rec_id}/approve", headers=lea_auth)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    public = client.get(f"/api/v1/members/{lea.id}", headers=zoe_auth).get_json()
    assert [r["id"] for r in public["recommendations"]] == [rec_id]
    assert public["recommendations"][0]["relationship"] == "same_team"
    hidden = client.post(f"/api/v1/recommendations/{rec_id}/hide", headers=lea_auth)
    assert hidden.status_code == 200 and hidden.get_json()["status"] == "hidden"
    assert client.get(f"/api/v1/members/{lea.id}", headers=zoe_auth).get_json()[
        "recommendations"] == []
    assert client.delete(f"/api/v1/recommendations/{rec_id}", headers=lea_auth
                         ).status_code == 204
    assert client.post(f"/api/v1/recommendations/{rec_id}/approve",
                       headers=lea_auth).status_code == 404


def test_recommendation_validation_and_first_degree(api, people):
    lea, _ = people["lea"]
    _, marc = people["marc"]
    _, zoe = people["zoe"]
    client = api("reseau")
    short = client.post(f"/api/v1/members/{lea.id}/recommendations", headers=marc,
                        json={"text": "Great.", "relationship": "same_team"})
    assert short.status_code == 422 and "text" in error_of(short)["fields"]
    bad = client.post(f"/api/v1/members/{lea.id}/recommendations", headers=marc,
                      json={"text": TEXT, "relationship": "friend"})
    assert bad.status_code == 422 and "relationship" in error_of(bad)["fields"]
    stranger = client.post(f"/api/v1/members/{lea.id}/recommendations", headers=zoe,
                           json={"text": TEXT, "relationship": "client"})
    assert stranger.status_code == 403 and error_of(stranger)["code"] == "not_connected"


def test_rewriting_answers_200_pending(api, people):
    lea, lea_auth = people["lea"]
    _, marc = people["marc"]
    client = api("reseau")
    url = f"/api/v1/members/{lea.id}/recommendations"
    rec_id = client.post(url, headers=marc, json={"text": TEXT, "relationship": "client"}
                         ).get_json()["id"]
    client.post(f"/api/v1/recommendations/{rec_id}/approve", headers=lea_auth)
    edited = client.post(url, headers=marc, json={"text": TEXT + " Again.",
                                                  "relationship": "client"})
    assert edited.status_code == 200
    assert edited.get_json()["id"] == rec_id and edited.get_json()["status"] == "pending"


def test_asking_for_a_recommendation(api, people):
    lea, lea_auth = people["lea"]
    marc, _ = people["marc"]
    zoe, _ = people["zoe"]
    client = api("reseau")
    first = client.post(f"/api/v1/members/{marc.id}/recommendation-requests", headers=lea_auth,
                        json={"message": "Would you?"})
    assert first.status_code == 201
    assert first.get_json()["status"] == "open" and first.get_json()["asked_id"] == marc.id
    again = client.post(f"/api/v1/members/{marc.id}/recommendation-requests", headers=lea_auth,
                        json={})
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    refused = client.post(f"/api/v1/members/{zoe.id}/recommendation-requests",
                          headers=lea_auth, json={})
    assert refused.status_code == 403


def test_another_instances_ids_are_404(api, app, people, create_member, token_for):
    lea, lea_auth = people["lea"]
    _, marc = people["marc"]
    rec_id = api("reseau").post(f"/api/v1/members/{lea.id}/recommendations", headers=marc,
                                json={"text": TEXT, "relationship": "client"}).get_json()["id"]
    other = create_member("acme", skills=["Python"])
    other_auth = bearer(token_for(other))
    acme = api("acme")
    assert acme.post(f"/api/v1/recommendations/{rec_id}/approve",
                     headers=other_auth).status_code == 404
    assert acme.post(f"/api/v1/members/{lea.id}/endorsements", json={"skill": "Python"},
                     headers=other_auth).status_code == 404
    assert api("reseau").post(f"/api/v1/members/{other.id}/endorsements",
                              json={"skill": "Python"}, headers=marc).status_code == 404
    # a token works only on its own instance
    assert acme.post(f"/api/v1/recommendations/{rec_id}/approve",
                     headers=lea_auth).status_code == 401
