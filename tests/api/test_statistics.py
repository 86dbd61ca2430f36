"""GET /api/v1/admin/statistics: staff only, the figures as JSON or CSV, bad dates 422."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def people(create_member):
    return {"moderator": create_member("reseau", role="moderator"),
            "member": create_member("reseau"),
            "acme_admin": create_member("acme", role="admin")}


def _get(api, token, path, slug="reseau"):
    return api(slug).get(path, headers={"Authorization": f"Bearer {token}"})


def test_staff_read_the_figures(api, token_for, people):
    today = datetime.now(UTC).date().isoformat()
    answer = _get(api, token_for(people["moderator"]),
                  f"/api/v1/admin/statistics?since={today}&until={today}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["since"], body["until"], body["step"], body["periods"]) == (
        today, today, "day", [today])
    # Created today: the two members of reseau in the fixture, not acme's admin.
    assert body["members"] == {"joined": [2], "total": [2]}
    assert set(body["activity"]) == {"connections", "introductions", "messages",
                                     "endorsements", "recommendations"}
    assert set(body["moderation"]) == {"reports", "warn", "limit", "suspend", "appeals"}
    assert body["introductions"]["direct"]["requests"] == 0
    csv_answer = _get(api, token_for(people["moderator"]),
                      f"/api/v1/admin/statistics?since={today}&until={today}&format=csv")
    assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
    assert csv_answer.get_data(as_text=True).splitlines()[1].startswith(f"{today},2,2,")


def test_members_get_403_and_other_instances_nothing(api, token_for, people):
    answer = _get(api, token_for(people["member"]), "/api/v1/admin/statistics?since=garbage")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    # acme's admin's token is not a reseau token.
    assert _get(api, token_for(people["acme_admin"]), "/api/v1/admin/statistics"
                ).status_code == 401


@pytest.mark.parametrize("query", ["since=2026-02-30", "since=2026-05-02&until=2026-05-01",
                                   "since=1990-01-01", "format=xml"])
def test_bad_arguments_are_422(api, token_for, people, query):
    answer = _get(api, token_for(people["moderator"]), f"/api/v1/admin/statistics?{query}")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "validation_failed"
