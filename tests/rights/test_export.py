"""The export: everything about me, never another member's private data."""

from __future__ import annotations

import json

import pytest

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.introductions import services as introductions
from maillon.moderation import sanctions
from maillon.network import endorsements, recommendations
from maillon.rights import export
from tests.introductions.world import MESSAGE, World
from tests.privacy.common import rate

NOTE = "Alice is brilliant, treat this note as private"
VOUCH = "I vouch for Rita, met at the lab"


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def exported(world, member_id):
    return world.call(export.export_member_data, member_id)


def test_my_export_has_my_own_rating_never_the_one_given_to_me(world):
    a, b = world.members("Anne", "Bruno")
    world.connect(a, b)
    rate(world, a, b, 4)
    rate(world, b, a, 1)  # B's private rating of A
    [connection] = exported(world, a)["connections"]
    assert connection["member"] == {"id": b, "name": "Bruno"}
    assert connection["my_trust"] == 4
    assert "trust" not in {k for k in connection if k != "my_trust"}
    [theirs] = exported(world, b)["connections"]
    assert theirs["my_trust"] == 1


def test_introductions_carry_only_my_own_texts(world):
    r, a, t = world.members("Rita", "Alice", "Tom")
    world.chain(r, a, t)
    intro = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                       purpose="advice")
    world.call(introductions.forward_introduction, a, intro.id, note=NOTE, vouch=VOUCH)
    mine = exported(world, a)["introductions"]
    [relayed] = mine["relayed"]
    assert relayed["id"] == intro.id and relayed["position"] == 1
    assert {"kind": "forwarded", "note": NOTE, "vouch": VOUCH}.items() <= \
        relayed["my_actions"][0].items()
    requester = json.dumps(exported(world, r))
    assert MESSAGE in requester
    assert NOTE not in requester and VOUCH not in requester
    target = exported(world, t)
    assert target["introductions"]["received"][0]["message"] == MESSAGE
    assert NOTE not in json.dumps(target) and VOUCH not in json.dumps(target)


def test_export_holds_messages_endorsements_recommendations_and_profile(world):
    a, b = world.members("Anne", "Bruno")
    world.update(a, skills=["Python"], email_verified_at=None)
    world.connect(a, b)
    world.call(endorsements.endorse_skill, b, a, "Python")
    world.call(recommendations.write_recommendation, b, a, relationship="same_team",
               text="Anne ships careful work every single week.")
    world.call(introductions.send_direct_message, a, b, "Hello Bruno, shall we talk?")
    data = exported(world, a)
    assert data["format_version"] == 1 and data["profile"]["name"] == "Anne"
    assert data["account"]["email"] == world.run(lambda s, i: world.get(a).email)
    assert data["endorsements"]["received"][0]["endorser"]["id"] == b
    assert data["recommendations"]["received"][0]["text"].startswith("Anne ships")
    assert data["messages"]["sent"][0]["text"] == "Hello Bruno, shall we talk?"
    assert exported(world, b)["messages"]["received"][0]["from"]["id"] == a
    assert exported(world, b)["recommendations"]["written"][0]["recipient"]["id"] == a


def test_audit_rows_about_me_without_the_staff_members_address_or_name(world):
    a = world.member("Anne")
    mo = world.member("Morgane Staff", role="moderator")
    world.call(sanctions.impose_sanction, mo, a, "warn", reason="Please stay on topic.",
               ip="10.9.9.9")
    data = exported(world, a)
    [row] = data["audit"]
    assert (row["action"], row["by"], row["reason"]) == ("member_warned", "staff",
                                                          "Please stay on topic.")
    text = json.dumps(data)
    assert "10.9.9.9" not in text and "Morgane" not in text
    assert data["sanctions"][0]["reason"] == "Please stay on topic."


def test_a_long_history_is_capped_and_says_so(world, monkeypatch):
    a, b, c = world.members("Anne", "Bruno", "Chloé")
    world.connect(a, b)
    world.connect(a, c)
    monkeypatch.setattr(export, "SECTION_LIMIT", 1)
    data = exported(world, a)
    assert len(data["connections"]) == 1
    assert "connections" in data["limits"]["truncated"]
    assert data["limits"]["per_list"] == 1


def test_the_api_export_needs_a_token_of_this_instance(world, client_for, app, create_member):
    a = world.member("Anne")
    api = client_for("reseau")
    assert api.get("/api/v1/me/export").status_code == 401
    with app.app_context():
        token = issue_api_token(db.session, world.get(a))
    answer = api.get("/api/v1/me/export", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.get_json()["account"]["id"] == a
    other = client_for("academia").get("/api/v1/me/export",
                                       headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 401


@pytest.mark.parametrize("locale,heading", [("en", "Your data on"), ("fr", "Vos données sur")])
def test_the_readable_archive_downloads_from_the_data_page(world, login, locale, heading):
    a = world.member("Anne Archive", locale=locale)
    client = login(world.run(lambda s, i: world.get(a)))
    page = client.get("/settings/data")
    assert page.status_code == 200
    archive = client.get("/settings/data/export.html")
    assert archive.status_code == 200
    assert archive.headers["Content-Disposition"].startswith("attachment;")
    body = archive.get_data(as_text=True)
    assert heading in body and "Anne Archive" in body
    assert "<link" not in body and "<script" not in body  # self-contained
    raw = client.get("/settings/data/export.json")
    assert json.loads(raw.get_data(as_text=True))["profile"]["name"] == "Anne Archive"
