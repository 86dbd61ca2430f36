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


# ---------------------------------------------------------------------- sanctions and appeals


def _post(api, token, path, body, slug="reseau", **headers):
    return api(slug).post(path, json=body, headers={"Authorization": f"Bearer {token}",
                                                    **headers})


REASON = {"reason": "Sales pitches sent to many members."}


def test_staff_suspend_and_the_token_says_account_suspended(api, token_for, people, mail):
    sam_token = token_for(people["member"])
    mod = token_for(people["moderator"])
    sam = people["member"].id
    answer = _post(api, mod, f"/api/v1/admin/members/{sam}/suspend", REASON)
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["kind"], body["status"], body["until"]) == ("suspend", "active", None)
    me = _get(api, sam_token, "/api/v1/me")
    assert me.status_code == 401 and me.get_json()["error"]["code"] == "account_suspended"
    listed = _get(api, mod, f"/api/v1/admin/sanctions?member_id={sam}").get_json()
    assert listed["total"] == 1
    lifted = _post(api, mod, f"/api/v1/admin/members/{sam}/unsuspend",
                   {"reason": "Lifted after a talk."})
    assert lifted.status_code == 200 and lifted.get_json()["results"][0]["status"] == "lifted"
    again = _post(api, mod, f"/api/v1/admin/members/{sam}/unsuspend",
                  {"reason": "Lifted after a talk."})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == \
        "sanction_not_active"


@pytest.mark.parametrize("kind", ["warn", "limit", "suspend", "unsuspend"])
def test_members_get_403_and_other_instances_404(api, token_for, people, kind):
    sam = people["member"].id
    plain = _post(api, token_for(people["member"]),
                  f"/api/v1/admin/members/{people['moderator'].id}/{kind}", REASON)
    assert plain.status_code == 403 and plain.get_json()["error"]["code"] == "forbidden"
    foreign = _post(api, token_for(people["acme_admin"]),
                    f"/api/v1/admin/members/{sam}/{kind}", REASON, slug="acme")
    assert foreign.status_code == 404


def test_list_endpoints_are_staff_only(api, token_for, people):
    for path in ("/api/v1/admin/sanctions", "/api/v1/admin/appeals"):
        assert _get(api, token_for(people["member"]), path).status_code == 403
        assert _get(api, token_for(people["moderator"]), path).status_code == 200


def test_limit_warn_appeal_once_and_decide(api, token_for, people):
    sam, sam_token = people["member"].id, token_for(people["member"])
    mod, admin = token_for(people["moderator"]), token_for(people["admin"])
    assert _post(api, mod, f"/api/v1/admin/members/{sam}/limit", REASON).status_code == 201
    refused = _post(api, sam_token, "/api/v1/connections", {"member_id": people["admin"].id})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "account_limited"
    [sanction] = _get(api, sam_token, "/api/v1/me/sanctions").get_json()["results"]
    first = _post(api, sam_token, f"/api/v1/sanctions/{sanction['id']}/appeal",
                  {"text": "I only answered people who wrote to me."},
                  **{"Idempotency-Key": "appeal-1"})
    assert first.status_code == 201
    replay = _post(api, sam_token, f"/api/v1/sanctions/{sanction['id']}/appeal",
                   {"text": "I only answered people who wrote to me."},
                   **{"Idempotency-Key": "appeal-1"})
    assert replay.status_code == 201 and replay.get_json() == first.get_json()
    twice = _post(api, sam_token, f"/api/v1/sanctions/{sanction['id']}/appeal",
                  {"text": "Once more, please look at it again."})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_appealed"
    queue = _get(api, mod, "/api/v1/admin/appeals").get_json()
    assert [a["id"] for a in queue["results"]] == [first.get_json()["id"]]
    appeal_id = first.get_json()["id"]
    # another instance's staff: 404; a member: 403
    assert _post(api, token_for(people["acme_admin"]), f"/api/v1/admin/appeals/{appeal_id}/accept",
                 {"response": "ok, lifted"}, slug="acme").status_code == 404
    assert _post(api, sam_token, f"/api/v1/admin/appeals/{appeal_id}/accept",
                 {"response": "ok, lifted"}).status_code == 403
    accepted = _post(api, admin, f"/api/v1/admin/appeals/{appeal_id}/accept",
                     {"response": "You are right: lifted."})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert _post(api, sam_token, "/api/v1/connections",
                 {"member_id": people["admin"].id}).status_code == 201
    mine = _get(api, sam_token, "/api/v1/me/sanctions").get_json()["results"][0]
    assert (mine["status"], mine["appeal"]["status"]) == ("lifted", "accepted")


def test_bad_sanction_bodies(api, token_for, people):
    mod, sam = token_for(people["moderator"]), people["member"].id
    for body in ({}, {"reason": ""}, {"reason": "ok reason", "until": "yesterday"},
                 {"reason": "ok reason", "until": "2001-01-01T00:00:00Z"},
                 {"reason": "ok reason", "extra": 1}):
        answer = _post(api, mod, f"/api/v1/admin/members/{sam}/suspend", body)
        assert answer.status_code == 422, body
        assert answer.get_json()["error"]["code"] == "validation_failed"
    assert api("reseau").post(f"/api/v1/admin/members/{sam}/suspend", data="nope",
                              headers={"Authorization": f"Bearer {mod}",
                                       "Content-Type": "application/json"}).status_code == 400
