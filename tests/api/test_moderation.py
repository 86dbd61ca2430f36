"""GET /api/v1/admin/audit: admins only (403 otherwise), JSON pages or CSV, another instance's
ids find nothing."""

from __future__ import annotations

import csv
import io

import pytest

from maillon.db import db
from maillon.moderation import services as moderation


@pytest.fixture
def people(app, create_member):
    made = {"admin": create_member("reseau", role="admin", name="Ada"),
            "moderator": create_member("reseau", role="moderator"),
            "member": create_member("reseau", name="Sam"),
            "acme_admin": create_member("acme", role="admin", name="Acme Admin")}
    with app.app_context():
        from sqlalchemy import select

        from maillon.tenancy.models import Instance

        reseau = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
        admin, member = db.session.merge(made["admin"]), db.session.merge(made["member"])
        moderation.record_audit(db.session, reseau, admin, "member_approved", subject=member,
                                reason="checked", ip="10.1.1.1")
        db.session.commit()
    return made


def _get(api, token, path, slug="reseau"):
    return api(slug).get(path, headers={"Authorization": f"Bearer {token}"})


def test_admin_reads_the_log(api, token_for, people):
    answer = _get(api, token_for(people["admin"]), "/api/v1/admin/audit")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 1
    [entry] = body["results"]
    assert entry["action"] == "member_approved"
    assert entry["actor"] == {"id": people["admin"].id, "name": "Ada"}
    assert entry["subject"] == {"type": "member", "id": people["member"].id,
                                "member_id": people["member"].id, "name": "Sam"}
    assert (entry["reason"], entry["ip"]) == ("checked", "10.1.1.1")


@pytest.mark.parametrize("who", ["moderator", "member"])
def test_non_admins_get_403(api, token_for, people, who):
    answer = _get(api, token_for(people[who]), "/api/v1/admin/audit?since=garbage")
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"
    assert _get(api, token_for(people[who]), "/api/v1/admin/audit?format=csv"
                ).status_code == 403


def test_no_token_is_401(api, people):
    assert api("reseau").get("/api/v1/admin/audit").status_code == 401


def test_another_instances_ids_and_token(api, token_for, people):
    acme = token_for(people["acme_admin"])
    answer = _get(api, acme, f"/api/v1/admin/audit?subject={people['member'].id}", "acme")
    assert answer.get_json() == {"total": 0, "results": []}
    answer = _get(api, acme, f"/api/v1/admin/audit?actor={people['admin'].id}", "acme")
    assert answer.get_json()["total"] == 0
    # acme's token is worth nothing on reseau
    assert _get(api, acme, "/api/v1/admin/audit").status_code == 401


def test_filters_and_bad_values(api, token_for, people):
    token = token_for(people["admin"])
    assert _get(api, token, "/api/v1/admin/audit?action=member_rejected").get_json()[
        "total"] == 0
    for query in ("since=2026-99-01", "action=nope", "per_page=1000", "format=xml",
                  "subject=abc"):
        answer = _get(api, token, f"/api/v1/admin/audit?{query}")
        assert answer.status_code == 422, query
        assert answer.get_json()["error"]["code"] == "validation_failed"


def test_csv_export(api, token_for, people):
    token = token_for(people["admin"])
    answer = _get(api, token, "/api/v1/admin/audit?format=csv&action=member_approved")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["member_approved"]
    listed = _get(api, token, "/api/v1/admin/audit?action=audit_exported").get_json()
    assert listed["total"] == 1
