"""The questions API: ask (Idempotency-Key), list, read as asker or recipient, answer, thank,
close; outsiders and other instances get 404."""

from __future__ import annotations

from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.network import services as network
from maillon.tenancy.models import Instance
from tests.api.conftest import bearer, error_of


def call(api, token, method, path, body=None, slug="reseau", **headers):
    return api(slug).open(path, method=method, json=body, headers=bearer(token, **headers))


def _connect(app, a, b):
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
        row = network.request_connection(db.session, instance, db.session.get(Member, a.id),
                                         b.id)
        network.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)


def test_ask_answer_thank_round_trip(app, api, token_for, create_member):
    asker = create_member("reseau", name="Asker")
    friend = create_member("reseau", name="Friend")
    outsider = create_member("reseau", name="Outsider")
    acme = create_member("acme", name="Acme")
    _connect(app, asker, friend)
    a, f, o = token_for(asker), token_for(friend), token_for(outsider)
    body = {"text": "Who knows a notary in Nantes?", "reach": "extended"}
    first = call(api, a, "POST", "/api/v1/questions", body, **{"Idempotency-Key": "q1"})
    again = call(api, a, "POST", "/api/v1/questions", body, **{"Idempotency-Key": "q1"})
    assert first.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    question = first.get_json()
    assert question["sent_to_connections"] == 1 and question["answers"] == []
    qid = question["id"]
    received = call(api, f, "GET", "/api/v1/questions?received=true").get_json()
    assert [q["id"] for q in received["results"]] == [qid]
    assert "sent_to_connections" not in call(api, f, "GET", f"/api/v1/questions/{qid}").get_json()
    assert call(api, o, "GET", f"/api/v1/questions/{qid}").status_code == 404
    assert call(api, token_for(acme), "GET", f"/api/v1/questions/{qid}",
                slug="acme").status_code == 404
    answered = call(api, f, "POST", f"/api/v1/questions/{qid}/answers",
                    {"text": "Maître Durand."})
    assert answered.status_code == 201
    changed = call(api, f, "POST", f"/api/v1/questions/{qid}/answers",
                   {"text": "Maître Durand, rue Crébillon."})
    assert changed.status_code == 200
    own = call(api, a, "POST", f"/api/v1/questions/{qid}/answers", {"text": "Me"})
    assert error_of(own)["code"] == "cannot_answer_own_question"
    answer_id = answered.get_json()["id"]
    assert call(api, f, "POST", f"/api/v1/answers/{answer_id}/thank").status_code == 404
    thanked = call(api, a, "POST", f"/api/v1/answers/{answer_id}/thank").get_json()
    assert thanked["thanked"] is True
    detail = call(api, a, "GET", f"/api/v1/questions/{qid}").get_json()
    assert [x["text"] for x in detail["answers"]] == ["Maître Durand, rue Crébillon."]
    assert call(api, a, "POST", f"/api/v1/questions/{qid}/close").get_json()["status"] == \
        "closed"
    late = call(api, f, "POST", f"/api/v1/questions/{qid}/answers", {"text": "Late"})
    assert late.status_code == 409 and error_of(late)["code"] == "question_closed"
    bad = call(api, a, "POST", "/api/v1/questions", {"text": "short", "reach": "world"})
    assert bad.status_code == 422 and set(error_of(bad)["fields"]) == {"text", "reach"}
