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
