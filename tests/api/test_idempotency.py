"""Idempotency-Key: a repeat replays the first answer and changes nothing; a reused key with
another body is refused; simultaneous repeats never both run."""

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from maillon.api import idempotency
from maillon.api import members as api_members
from maillon.api.models import IdempotencyKey
from maillon.db import db, utcnow
from maillon.members.models import Member
from maillon.tenancy.models import Instance
from tests.api.conftest import error_of

BODY = {"email": "once@example.org", "password": "a long password", "name": "Once"}


def _count(app, email="once@example.org"):
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id)).where(Member.email == email))


def test_repeat_with_same_key_replays_the_first_answer(api, app):
    headers = {"Idempotency-Key": "k-123"}
    first = api("reseau").post("/api/v1/members", json=BODY, headers=headers)
    again = api("reseau").post("/api/v1/members", json=dict(reversed(BODY.items())),
                               headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(app) == 1


def test_repeat_without_key_is_a_new_request(api, app):
    first = api("reseau").post("/api/v1/members", json=BODY)
    again = api("reseau").post("/api/v1/members", json=BODY)
    assert first.status_code == 201
    assert again.status_code == 409
    assert _count(app) == 1


def test_same_key_with_another_body_is_refused(api, app):
    headers = {"Idempotency-Key": "k-1"}
    api("reseau").post("/api/v1/members", json=BODY, headers=headers)
    other = {**BODY, "email": "twice@example.org"}
    response = api("reseau").post("/api/v1/members", json=other, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert _count(app, "twice@example.org") == 0


def test_keys_are_scoped_by_instance(api, app):
    headers = {"Idempotency-Key": "shared"}
    a = api("reseau").post("/api/v1/members", json=BODY, headers=headers)
    b = api("academia").post("/api/v1/members", json=BODY, headers=headers)
    assert a.status_code == 201
    assert b.status_code == 202
    assert _count(app) == 2


def test_an_error_answer_is_replayed_too(api, app, create_member):
    create_member("reseau", email="once@example.org")
    headers = {"Idempotency-Key": "k-err"}
    first = api("reseau").post("/api/v1/members", json=BODY, headers=headers)
    again = api("reseau").post("/api/v1/members", json=BODY, headers=headers)
    assert first.status_code == again.status_code == 409
    assert first.get_json() == again.get_json()


def test_invalid_key_is_400(api):
    response = api("reseau").post("/api/v1/members", json=BODY,
                                  headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_idempotency_key"


def _pending_key(app, key, age=timedelta(0)):
    """A pending row as a request still running (or long dead) would have left it."""
    with app.test_request_context("/api/v1/members", method="POST", json=BODY,
                                  base_url="http://reseau.localhost"):
        fingerprint = idempotency.request_fingerprint()
        instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
        db.session.add(IdempotencyKey(instance_id=instance.id, scope="anonymous", key=key,
                                      fingerprint=fingerprint, created_at=utcnow() - age))
        db.session.commit()


def test_request_in_progress_is_409(api, app, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
    _pending_key(app, "busy")
    response = api("reseau").post("/api/v1/members", json=BODY,
                                  headers={"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_in_progress"
    assert _count(app) == 0


def test_abandoned_pending_key_is_taken_over(api, app):
    _pending_key(app, "dead", age=idempotency.STALE_AFTER * 2)
    response = api("reseau").post("/api/v1/members", json=BODY,
                                  headers={"Idempotency-Key": "dead"})
    assert response.status_code == 201
    assert _count(app) == 1


def test_simultaneous_repeats_run_once(api, app, monkeypatch):
    real = api_members.register_member
    started = threading.Event()

    def slow_register(*args, **kwargs):
        started.set()
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(api_members, "register_member", slow_register)
    results = {}

    def post(name):
        response = api("reseau").post("/api/v1/members", json=BODY,
                                      headers={"Idempotency-Key": "race"})
        results[name] = (response.status_code, response.get_json())

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert started.wait(5)
    post("second")
    first.join(10)
    assert results["first"][0] == results["second"][0] == 201
    assert results["first"][1] == results["second"][1]
    assert _count(app) == 1


def test_member_keys_are_scoped_by_caller(app, instances, create_member):
    alice = create_member("reseau")
    bob = create_member("reseau")
    for member in (alice, bob, None):
        claimed = idempotency.claim_key(db.session, instances["reseau"], member, "same", "f")
        assert isinstance(claimed, IdempotencyKey)
    scopes = set(db.session.scalars(select(IdempotencyKey.scope)))
    assert scopes == {f"member:{alice.id}", f"member:{bob.id}", "anonymous"}
