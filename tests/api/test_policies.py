"""GET and PATCH /api/v1/admin/policies: admins only, all or nothing, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.moderation.models import AuditEntry


@pytest.fixture
def people(create_member):
    return {"admin": create_member("reseau", role="admin"),
            "moderator": create_member("reseau", role="moderator"),
            "acme_admin": create_member("acme", role="admin")}


def _call(api, token, method, body=None, slug="reseau"):
    return api(slug).open("/api/v1/admin/policies", method=method, json=body,
                          headers={"Authorization": f"Bearer {token}"})


def test_admin_reads_and_changes(app, api, token_for, people):
    token = token_for(people["admin"])
    listed = _call(api, token, "GET")
    assert listed.status_code == 200
    hops = next(p for p in listed.get_json()["results"] if p["key"] == "introductions.max_hops")
    assert hops["type"] == "int" and (hops["minimum"], hops["maximum"]) == (1, 6)
    assert hops["edited"] is False and hops["value"] == hops["file_value"]
    changed = _call(api, token, "PATCH", {"changes": {"introductions.max_hops": 2,
                                                      "registration.email_domains": [
                                                          "Lab.example"]}})
    assert changed.status_code == 200
    after = {p["key"]: p for p in changed.get_json()["results"]}
    assert after["introductions.max_hops"]["value"] == 2
    assert after["introductions.max_hops"]["edited"] is True
    assert after["registration.email_domains"]["value"] == ["lab.example"]
    again = _call(api, token, "PATCH", {"reset": ["introductions.max_hops"]})
    assert {p["key"]: p for p in again.get_json()["results"]}[
        "introductions.max_hops"]["edited"] is False
    with app.app_context():
        keys = db.session.scalars(select(AuditEntry.reason).where(
            AuditEntry.action == "policy_changed").order_by(AuditEntry.id)).all()
    assert keys == ["registration.email_domains", "introductions.max_hops",
                    "introductions.max_hops"]


def test_one_bad_value_changes_nothing(api, token_for, people):
    token = token_for(people["admin"])
    answer = _call(api, token, "PATCH", {"changes": {"introductions.max_hops": 2,
                                                     "quotas.pending_introductions": 0,
                                                     "theme": "corporate"}})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"quotas.pending_introductions", "theme"}
    listed = {p["key"]: p for p in _call(api, token, "GET").get_json()["results"]}
    assert listed["introductions.max_hops"]["edited"] is False


def test_others_are_refused(api, token_for, people):
    assert _call(api, token_for(people["moderator"]), "GET").status_code == 403
    answer = _call(api, token_for(people["moderator"]), "PATCH",
                   {"changes": {"introductions.max_hops": 1}})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    assert _call(api, token_for(people["acme_admin"]), "GET").status_code == 401
    assert _call(api, "", "GET").status_code == 401


def test_numbers_json_allows_but_no_setting_takes_are_422(api, token_for, people):
    for literal in ("Infinity", "NaN", "1e400"):
        answer = api("reseau").open(
            "/api/v1/admin/policies", method="PATCH", content_type="application/json",
            data=f'{{"changes": {{"introductions.max_hops": {literal}}}}}',
            headers={"Authorization": f"Bearer {token_for(people['admin'])}"})
        assert answer.status_code == 422, literal
        assert set(answer.get_json()["error"]["fields"]) == {"introductions.max_hops"}
