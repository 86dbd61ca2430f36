"""GET and PATCH /api/v1/admin/federation: admins only, all or nothing."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer, error_of


@pytest.fixture
def people(create_member):
    return {
        "admin": create_member("reseau", role="admin", name="Ada Admin"),
        "moderator": create_member("reseau", role="moderator", name="Mo Mod"),
        "acme_admin": create_member("acme", role="admin", name="Acme Admin"),
    }


def test_api_reads_and_changes_the_policy(app, api, token_for, people):
    token = token_for(people["admin"])
    client = api("reseau")
    assert client.get("/api/v1/admin/federation", headers=bearer(token)).get_json() == {
        "mode": "nobody",
        "discoverable": False,
        "servers": [],
    }
    changed = client.patch(
        "/api/v1/admin/federation",
        headers=bearer(token),
        json={
            "mode": "blocklist",
            "servers": [{"domain": "spam.example", "severity": "suspend", "reject_media": True}],
        },
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["mode"] == "blocklist"
    assert body["servers"] == [
        {
            "domain": "spam.example",
            "severity": "suspend",
            "reject_media": True,
            "reject_reports": False,
            "public_comment": "",
            "private_comment": "",
        }
    ]
    bad = client.patch(
        "/api/v1/admin/federation",
        headers=bearer(token),
        json={"mode": "allowlist", "servers": [{"domain": "nope"}]},
    )
    assert bad.status_code == 422
    assert "servers.0.domain" in error_of(bad)["fields"]
    assert (
        client.get("/api/v1/admin/federation", headers=bearer(token)).get_json()["mode"]
        == "blocklist"
    )  # nothing of the refused change


def test_api_refuses_non_admins_and_other_instances(api, token_for, people):
    moderator = api("reseau").get(
        "/api/v1/admin/federation", headers=bearer(token_for(people["moderator"]))
    )
    assert moderator.status_code == 403 and error_of(moderator)["code"] == "forbidden"
    # An acme token is worth nothing on reseau's host.
    foreign = api("reseau").patch(
        "/api/v1/admin/federation",
        json={"mode": "blocklist"},
        headers=bearer(token_for(people["acme_admin"])),
    )
    assert foreign.status_code == 401


def test_api_shows_the_deliveries_to_admins_only(app, api, token_for, people):
    from maillon.db import db
    from maillon.federation import delivery, policy
    from tests.federation.conftest import instance_row, member_row

    with app.app_context():
        policy.change_policy(
            db.session,
            instance_row("reseau"),
            member_row(people["admin"].id),
            {"mode": "blocklist"},
        )
        delivery.queue_delivery(
            db.session,
            instance_row("reseau"),
            None,
            {"id": "http://reseau.localhost/activities/1", "type": "Update"},
            ["https://social.example/inbox", "https://social.example/inbox"],
        )
        db.session.commit()
    answer = api("reseau").get(
        "/api/v1/admin/federation/deliveries", headers=bearer(token_for(people["admin"]))
    )
    assert answer.status_code == 200
    assert answer.get_json() == {
        "queued": 1,
        "delivered": 0,
        "rejected": 0,
        "expired": 0,
        "servers": [
            {
                "host": "social.example",
                "queued": 1,
                "failed": 0,
                "last_error": "",
                "failure_days": 0,
                "unavailable_since": None,
            }
        ],
    }
    refused = api("reseau").get(
        "/api/v1/admin/federation/deliveries", headers=bearer(token_for(people["moderator"]))
    )
    assert refused.status_code == 403
