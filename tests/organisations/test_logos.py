"""Organisations' logos: their admins upload one (re-encoded, bounded), members of the
instance see it on the pages and through its address, nobody else; replacing or removing it
removes the old file; an instance admin's upload is audited."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from maillon.db import db
from maillon.moderation.models import AuditEntry
from maillon.organisations.logos import logo_folder
from maillon.organisations.models import Organisation
from tests.organisations.world import OrgWorld


def _png(size=(500, 300)) -> bytes:
    out = BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()


def _client(world, login, member_id):
    with world.app.app_context():
        member = world.get(member_id)
        db.session.expunge(member)
    return login(member, world_slug(world))


def world_slug(world) -> str:
    return "acme"


def _org(app, org_id) -> Organisation:
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        db.session.expunge(org)
        return org


def _upload(client, org_id, data):
    return client.post(f"/organisations/{org_id}/logo",
                       data={"logo": (BytesIO(data), "logo.png")})


def test_an_admin_uploads_members_see_it_others_do_not(app, create_member, login, client_for):
    world = OrgWorld(app, create_member, "acme")
    boss, member = world.verified("Boss", "boss@acme.example"), world.member("Member")
    org_id = world.organisation(boss, "Acme Paris")
    admin = _client(world, login, boss)
    assert _upload(admin, org_id, _png()).status_code == 302
    name = _org(app, org_id).logo
    assert name and re.match(rf"org{org_id}-[0-9a-f]{{32}}\.png$", name)
    url = f"/organisations/{org_id}/logo/{name}"
    viewer = _client(world, login, member)
    for page in (f"/organisations/{org_id}", "/organisations"):
        assert url in viewer.get(page).get_data(as_text=True)
    served = viewer.get(url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(BytesIO(served.data)).size == (192, 115)  # fits the square box
    served.close()
    # Not for visitors, nor another instance (same id, same name), nor under another org's id.
    assert client_for("acme").get(url).status_code in (302, 401)
    stranger = create_member("reseau")
    assert login(stranger, "reseau").get(url).status_code == 404
    other_org = world.organisation(boss, "Acme Lyon")
    assert viewer.get(f"/organisations/{other_org}/logo/{name}").status_code == 404
    # A member who does not run it cannot change it.
    assert _upload(viewer, org_id, _png()).status_code == 403
    assert viewer.post(f"/organisations/{org_id}/logo/delete").status_code == 403
    assert _org(app, org_id).logo == name
    # Replacing it removes the old file; removing it brings the initials back.
    with app.app_context():
        folder = logo_folder(app.config["VAR_DIR"], world.instance())
    assert _upload(admin, org_id, _png((200, 200))).status_code == 302
    new = _org(app, org_id).logo
    assert new != name and not (folder / name).exists() and (folder / new).is_file()
    assert viewer.get(url).status_code == 404
    assert admin.post(f"/organisations/{org_id}/logo/delete").status_code == 302
    assert _org(app, org_id).logo is None and not (folder / new).exists()
    assert 'class="org-mark"' in viewer.get(f"/organisations/{org_id}").get_data(as_text=True)


def test_a_bad_image_changes_nothing(app, create_member, login):
    world = OrgWorld(app, create_member, "acme")
    boss = world.verified("Boss", "boss@acme.example")
    org_id = world.organisation(boss, "Acme Paris")
    admin = _client(world, login, boss)
    for data, message in ((b"<svg><script>alert(1)</script></svg>", "must be a PNG"),
                          (_png((2000, 100)), "too narrow or too wide")):
        answer = _upload(admin, org_id, data)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert _org(app, org_id).logo is None
    with app.app_context():
        assert not Path(logo_folder(app.config["VAR_DIR"], world.instance())).exists()


def test_an_instance_admin_upload_is_audited(app, create_member, login):
    world = OrgWorld(app, create_member, "acme")
    boss = world.verified("Boss", "boss@acme.example")
    staff = world.member("Staff", role="admin")
    org_id = world.organisation(boss, "Acme Paris")
    assert _upload(_client(world, login, staff), org_id, _png()).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "organisation_managed")).all()
        assert [(r.actor_id, r.subject_id, r.data["what"]) for r in rows] == [
            (staff, org_id, "logo")]
