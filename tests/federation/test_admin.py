"""The admins' federation page, and a member's federation settings page."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.federation.models import FederatedServer
from maillon.moderation.models import AuditEntry


@pytest.fixture
def people(create_member):
    return {
        "admin": create_member("reseau", role="admin", name="Ada Admin", locale="en"),
        "moderator": create_member("reseau", role="moderator", name="Mo Mod"),
        "acme_admin": create_member("acme", role="admin", name="Acme Admin"),
    }


def test_the_admin_page_changes_the_mode_and_the_servers(app, login, people):
    client = login(people["admin"])
    page = client.get("/admin/federation")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('name="mode"') == 3
    saved = client.post("/admin/federation", data={"mode": "allowlist", "discoverable": "1"})
    assert saved.status_code == 303
    added = client.post(
        "/admin/federation/servers",
        data={"domain": "Friends.Example", "severity": "none", "public_comment": "Partners"},
    )
    assert added.status_code == 303
    refused = client.post(
        "/admin/federation/servers", data={"domain": "no way", "severity": "none"}
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in text and "Not a domain name" in text
    page = client.get("/admin/federation").get_data(as_text=True)
    assert "friends.example" in page and "Partners" in page
    exported = client.get("/admin/federation.csv")
    assert exported.content_type.startswith("text/csv")
    assert "friends.example,noop" in exported.get_data(as_text=True)
    imported = client.post(
        "/admin/federation/import",
        data={"file": (io.BytesIO(b"#domain,#severity\nbad.example,suspend\n"), "list.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 303
    removed = client.post("/admin/federation/servers/remove", data={"domain": "friends.example"})
    assert removed.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(FederatedServer.domain)).all() == ["bad.example"]
        assert (
            len(
                db.session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "federation_changed")
                ).all()
            )
            == 4
        )


def test_the_admin_page_is_for_admins_only(login, people):
    assert login(people["moderator"]).get("/admin/federation").status_code == 403
    assert (
        login(people["moderator"]).post("/admin/federation", data={"mode": "blocklist"}).status_code
        == 403
    )


def test_a_member_opts_in_from_the_settings_page(app, login, create_member, client_for, federate):
    federate("reseau")
    member = create_member("reseau", name="Zoé Ferrand", locale="en")
    client = login(member)
    page = client.get("/settings/federation").get_data(as_text=True)
    assert "@name@reseau.localhost" in page
    assert (
        client.post("/settings/federation", data={"enabled": "1", "indexable": "1"}).status_code
        == 303
    )
    page = client.get("/settings/federation").get_data(as_text=True)
    assert "@zoe.ferrand@reseau.localhost" in page
    actor = client_for("reseau").get(
        f"/ap/members/{member.id}", headers={"Accept": "application/activity+json"}
    )
    assert (actor.get_json()["discoverable"], actor.get_json()["indexable"]) == (False, True)
    client.post("/settings/federation", data={})
    assert (
        client_for("reseau")
        .get(f"/ap/members/{member.id}", headers={"Accept": "application/activity+json"})
        .status_code
        == 404
    )
