"""The reports API: members report what they see (201, a repeat 200), their reports with the
outcome; staff read the grouped queue and decide; members get 403; another instance's ids 404."""

from __future__ import annotations

import pytest

from maillon.db import db
from maillon.moderation.models import AuditEntry
from tests.api.conftest import bearer, error_of


@pytest.fixture
def people(app, create_member):
    return {"mod": create_member("reseau", role="moderator"),
            "ann": create_member("reseau", name="Ann"),
            "spammer": create_member("reseau", name="Spammer"),
            "acme_admin": create_member("acme", role="admin")}


def post(api, token, path, body, slug="reseau", **headers):
    return api(slug).post(path, json=body, headers=bearer(token, **headers))


def get(api, token, path, slug="reseau"):
    return api(slug).get(path, headers=bearer(token))


def test_report_queue_and_resolve(api, token_for, people, app):
    ann, mod = token_for(people["ann"]), token_for(people["mod"])
    body = {"subject_type": "member", "subject_id": people["spammer"].id, "reason": "spam",
            "details": "Ads everywhere."}
    created = post(api, ann, "/api/v1/reports", body)
    assert created.status_code == 201
    report = created.get_json()
    assert report["status"] == "open" and "reporter" not in report
    again = post(api, ann, "/api/v1/reports", {**body, "reason": "harassment"})
    assert again.status_code == 200 and again.get_json()["id"] == report["id"]

    queue = get(api, mod, "/api/v1/admin/reports").get_json()
    assert queue["total"] == 1
    [group] = queue["results"]
    assert (group["count"], group["reasons"]) == (1, {"harassment": 1})
    detail = get(api, mod, f"/api/v1/admin/reports/{group['latest_report_id']}").get_json()
    assert detail["reporter"]["id"] == people["ann"].id and detail["snapshot"]

    resolve = {"action": "suspend", "reason": "Spam across the community."}
    key = {"Idempotency-Key": "decide-1"}
    done = post(api, mod, f"/api/v1/admin/reports/{report['id']}/resolve", resolve, **key)
    assert done.status_code == 200 and done.get_json()["results"][0]["status"] == "actioned"
    replay = post(api, mod, f"/api/v1/admin/reports/{report['id']}/resolve", resolve, **key)
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    twice = post(api, mod, f"/api/v1/admin/reports/{report['id']}/resolve", resolve)
    assert error_of(twice)["code"] == "report_decided"
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="report_actioned").count() == 1

    mine = get(api, ann, "/api/v1/reports/mine").get_json()
    assert get(api, ann, "/api/v1/me/reports").get_json() == mine
    [row] = mine["results"]
    assert (row["status"], row["outcome"]) == ("actioned", "action_taken")
    assert "resolution" not in row and "actions" not in row


def test_bad_reports_get_clear_errors(api, token_for, people):
    ann = token_for(people["ann"])
    for body, code in (({"subject_type": "thread", "subject_id": 1, "reason": "spam"},
                        "validation_failed"),
                       ({"subject_type": "post", "subject_id": 1, "reason": "spam"},
                        "not_found"),
                       ({"subject_type": "member", "subject_id": people["ann"].id,
                         "reason": "spam"}, "cannot_report_self"),
                       ({"subject_type": "member", "subject_id": people["spammer"].id,
                         "reason": "dislike"}, "validation_failed"),
                       ({"subject_type": "member", "subject_id": people["acme_admin"].id,
                         "reason": "spam"}, "not_found")):
        answer = post(api, ann, "/api/v1/reports", body)
        assert error_of(answer)["code"] == code, body


def test_members_get_403_and_other_instances_404(api, token_for, people):
    ann = token_for(people["ann"])
    report = post(api, ann, "/api/v1/reports", {"subject_type": "member",
                                                "subject_id": people["spammer"].id,
                                                "reason": "spam"}).get_json()
    for path in ("/api/v1/admin/reports", f"/api/v1/admin/reports/{report['id']}"):
        assert error_of(get(api, ann, path))["code"] == "forbidden"
    dismiss = {"action": "dismiss", "reason": "Nothing wrong here."}
    assert post(api, ann, f"/api/v1/admin/reports/{report['id']}/resolve",
                dismiss).status_code == 403
    acme = token_for(people["acme_admin"])
    assert get(api, acme, f"/api/v1/admin/reports/{report['id']}", "acme").status_code == 404
    assert post(api, acme, f"/api/v1/admin/reports/{report['id']}/resolve", dismiss,
                "acme").status_code == 404
    assert get(api, acme, "/api/v1/admin/reports", "acme").get_json()["total"] == 0
