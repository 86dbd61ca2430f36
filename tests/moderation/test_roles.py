"""Roles: admins name moderators and admins (never their own role, never leaving the
instance without an admin), the operator from the command line; each change audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Forbidden, ServiceError
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.moderation.roles import change_role
from maillon.tenancy.models import Instance


def _instance(slug="reseau"):
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def _m(member):
    return db.session.get(Member, member.id)


@pytest.fixture
def people(create_member):
    return {"admin": create_member("reseau", role="admin", name="Ada"),
            "moderator": create_member("reseau", role="moderator"),
            "member": create_member("reseau", name="Max"),
            "acme_admin": create_member("acme", role="admin")}


def _roles_audit():
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "role_changed").order_by(AuditEntry.id)).all()


def test_an_admin_names_a_moderator_and_the_change_is_audited(ctx, people):
    change_role(db.session, _instance(), _m(people["admin"]), people["member"].id, "moderator",
                reason="Helps with reports", ip="10.1.2.3")
    assert _m(people["member"]).role == "moderator"
    [entry] = _roles_audit()
    assert (entry.actor_id, entry.subject_member_id, entry.reason, entry.ip) == (
        people["admin"].id, people["member"].id, "Helps with reports", "10.1.2.3")
    assert entry.data == {"old": "member", "new": "moderator"}
    # The same role again: nothing changes, nothing recorded.
    change_role(db.session, _instance(), _m(people["admin"]), people["member"].id, "moderator")
    assert len(_roles_audit()) == 1


def test_who_may_change_what(ctx, people):
    with pytest.raises(Forbidden):  # a moderator is not an admin
        change_role(db.session, _instance(), _m(people["moderator"]), people["member"].id,
                    "admin")
    with pytest.raises(Forbidden) as own:
        change_role(db.session, _instance(), _m(people["admin"]), people["admin"].id, "member")
    assert own.value.code == "cannot_change_own_role"
    with pytest.raises(ServiceError) as foreign:  # acme's admin is nobody in reseau
        change_role(db.session, _instance(), _m(people["acme_admin"]), people["member"].id,
                    "admin")
    assert foreign.value.status == 404
    with pytest.raises(NotFound):  # reseau's admin, acme's member
        change_role(db.session, _instance(), _m(people["admin"]), people["acme_admin"].id,
                    "member")
    db.session.rollback()
    assert _m(people["member"]).role == "member" and _m(people["acme_admin"]).role == "admin"
    assert not _roles_audit()


def test_the_last_admin_stays_one(ctx, people):
    with pytest.raises(ServiceError) as last:  # the operator, from the command line
        change_role(db.session, _instance(), None, people["admin"].id, "member", operator=True)
    assert last.value.code == "last_admin"
    change_role(db.session, _instance(), _m(people["admin"]), people["moderator"].id, "admin")
    change_role(db.session, _instance(), None, people["admin"].id, "member", operator=True)
    assert _m(people["admin"]).role == "member"
    assert _roles_audit()[-1].actor_name == "operator"


def test_the_page_and_the_command(app, login, people):
    admin = login(people["admin"], "reseau")
    html = admin.get(f"/moderation/members/{people['member'].id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    answer = admin.post(f"/moderation/members/{people['member'].id}/role",
                        data={"csrf_token": token, "role": "moderator", "reason": "ok"})
    assert answer.status_code == 303
    with app.app_context():
        assert _m(people["member"]).role == "moderator"
    moderator = login(people["moderator"], "reseau")
    assert moderator.post(f"/moderation/members/{people['member'].id}/role",
                          data={"role": "admin"}).status_code == 403
    from maillon.cli import instances_role

    result = app.test_cli_runner().invoke(instances_role, [
        "reseau", people["member"].email, "admin", "--reason", "new lead"])
    assert result.exit_code == 0, result.output
    missing = app.test_cli_runner().invoke(instances_role, ["acme", people["member"].email,
                                                            "admin"])
    assert missing.exit_code != 0 and "no member" in missing.output
    with app.app_context():
        assert _m(people["member"]).role == "admin"


def test_the_moderation_page_shows_each_section_once_and_a_plain_title(login, people):
    html = login(people["admin"], "reseau").get(
        f"/moderation/members/{people['member'].id}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "Max" in title
    assert html.count('id="role-heading"') == 1
    assert html.count('id="delete-account-heading"') == 1
