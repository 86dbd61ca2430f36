"""The policies editor: admins only, every value checked (nothing saved when one is bad),
each change audited with the old and new values, the file's value back on reset, and the
change in force at once (registration, chains)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.tenancy import policies
from maillon.tenancy.models import Instance


def _instance(slug: str = "reseau") -> Instance:
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def _member(member: Member) -> Member:
    return db.session.get(Member, member.id)


@pytest.fixture
def admin(create_member):
    return create_member("reseau", role="admin", name="Ada Admin", locale="en")


def _audit(slug="reseau"):
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.instance_id == _instance(slug).id,
        AuditEntry.action == "policy_changed").order_by(AuditEntry.id)).all()


def test_an_admin_changes_and_resets_settings_each_audited(ctx, admin):
    instance = _instance()
    file_value = instance.config["introductions.max_hops"]
    changed = policies.change_policies(
        db.session, instance, _member(admin),
        {"introductions.max_hops": "3", "registration.email_domains": "Univ.example\n@lab.org",
         "registration.verify_email": instance.setting("registration.verify_email")},
        ip="10.0.0.9")
    assert changed == ["registration.email_domains", "introductions.max_hops"]
    instance = _instance()
    assert instance.setting("introductions.max_hops") == 3
    assert instance.setting("registration.email_domains") == ["univ.example", "lab.org"]
    entries = _audit()
    assert [(e.data["key"], e.data["old"], e.data["new"], e.ip) for e in entries] == [
        ("registration.email_domains", instance.config["registration.email_domains"],
         ["univ.example", "lab.org"], "10.0.0.9"),
        ("introductions.max_hops", file_value, 3, "10.0.0.9")]
    assert {e.actor_id for e in entries} == {admin.id}
    # Back to the file's value: audited too, and no longer an override.
    assert policies.change_policies(db.session, instance, _member(admin), {},
                                    reset=["introductions.max_hops"]) == [
        "introductions.max_hops"]
    instance = _instance()
    assert "introductions.max_hops" not in instance.overrides
    assert instance.setting("introductions.max_hops") == file_value
    assert _audit()[-1].data == {"key": "introductions.max_hops", "old": 3, "new": file_value,
                                 "reset": True}
    # Saving the same values again changes and records nothing.
    same = {p.key: p.value for p in policies.list_policies(db.session, instance,
                                                            _member(admin))}
    assert policies.change_policies(db.session, instance, _member(admin), same) == []
    assert len(_audit()) == 3
    # ... and pins nothing: the file still gives what nobody changed here.
    assert set(_instance().overrides) == {"registration.email_domains"}


@pytest.mark.parametrize(("key", "value"), [
    ("introductions.max_hops", "7"), ("introductions.max_hops", "2.5"),
    ("introductions.max_hops", "many"), ("introductions.relay_factor", "0"),
    ("introductions.relay_factor", "nan"), ("registration.policy", "everyone"),
    ("registration.email_domains", "not a domain!"), ("registration.email_domains", "localhost"),
    ("tagline", "x" * 201), ("introductions.hop_deadline_days", True),
    ("introductions.max_hops", float("inf")), ("introductions.max_hops", float("nan")),
    ("introductions.max_hops", 2.5), ("introductions.relay_factor", float("-inf")),
])
def test_a_bad_value_saves_nothing(ctx, admin, key, value):
    instance = _instance()
    before = dict(instance.overrides)
    with pytest.raises(ValidationFailed) as caught:
        policies.change_policies(db.session, instance, _member(admin),
                                 {"quotas.pending_introductions": "9", key: value})
    assert set(caught.value.fields) == {key}
    db.session.rollback()
    assert _instance().overrides == before and not _audit()


def test_settings_that_are_not_editable_are_refused(ctx, admin):
    with pytest.raises(ValidationFailed) as caught:
        policies.change_policies(db.session, _instance(), _member(admin),
                                 {"theme": "corporate", "name": "Hijacked"}, reset=["hosts"])
    assert set(caught.value.fields) == {"theme", "name", "hosts"}


def test_only_this_instances_admins(ctx, create_member):
    moderator = create_member("reseau", role="moderator")
    acme_admin = create_member("acme", role="admin")
    with pytest.raises(Forbidden):
        policies.change_policies(db.session, _instance(), _member(moderator),
                                 {"introductions.max_hops": 2})
    with pytest.raises(Forbidden):
        policies.list_policies(db.session, _instance(), _member(moderator))
    with pytest.raises(ServiceError) as caught:
        policies.change_policies(db.session, _instance(), _member(acme_admin),
                                 {"introductions.max_hops": 2})
    assert caught.value.status == 404
    assert _instance().setting("introductions.max_hops") != 2


# --- the page ---------------------------------------------------------------------------------

def _token(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_page_saves_shows_errors_and_resets(app, login, client_for, admin):
    client = login(admin, "reseau")
    html = client.get("/admin/policies").get_data(as_text=True)
    assert "Community settings" in html and "Who may join" in html
    form = {"csrf_token": _token(html), "registration.policy": "invite",
            "registration.email_domains": "", "introductions.chain_visibility": "stepwise",
            "introductions.max_hops": "4", "introductions.hop_deadline_days": "10",
            "introductions.relay_factor": "0.7", "introductions.retention_days": "365",
            "introductions.review_first_requests": "0", "quotas.pending_introductions": "5",
            "quotas.pending_connection_requests": "100", "tagline": "Entraide",
            "organisations.min_group_size": "5",
            "locale": "fr"}  # registration.verify_email unticked: no
    answer = client.post("/admin/policies", data=form)
    assert answer.status_code == 303
    with app.app_context():
        instance = _instance()
        assert instance.setting("registration.policy") == "invite"
        assert instance.setting("registration.verify_email") is False
        assert instance.setting("introductions.chain_visibility") == "stepwise"
    html = client.get("/admin/policies").get_data(as_text=True)
    assert "Changed here. The configuration file says:" in html
    # In force at once, on this process's next request (its cached instance is forgotten).
    visitor = client_for("reseau")
    assert "Pour rejoindre cette communauté, il faut une invitation." in visitor.get(
        "/register").get_data(as_text=True)  # in French, the default language saved too
    bad = client.post("/admin/policies", data={**form, "introductions.max_hops": "9",
                                               "registration.policy": "open"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Give a number from 1 to 6." in page and 'value="9"' in page
    with app.app_context():
        assert _instance().setting("registration.policy") == "invite"  # nothing saved
    reset = client.post("/admin/policies/registration.policy/reset",
                        data={"csrf_token": form["csrf_token"]})
    assert reset.status_code == 303
    with app.app_context():
        assert _instance().setting("registration.policy") == _instance().config[
            "registration.policy"]


def test_the_page_is_for_admins(login, create_member):
    moderator = create_member("reseau", role="moderator")
    client = login(moderator, "reseau")
    assert client.get("/admin/policies").status_code == 403
    assert client.post("/admin/policies", data={"introductions.max_hops": "1"}
                       ).status_code == 403


def test_the_page_shows_every_editable_setting():
    from maillon.tenancy.policy_views import GROUPS
    from maillon.tenancy.settings import EDITABLE_KEYS

    shown = [key for _group, keys in GROUPS for key in keys]
    assert sorted(shown) == sorted(EDITABLE_KEYS) and len(shown) == len(set(shown))


def test_a_setting_is_changed_or_reset_not_both(ctx, admin):
    with pytest.raises(ValidationFailed) as caught:
        policies.change_policies(db.session, _instance(), _member(admin),
                                 {"introductions.max_hops": "3"},
                                 reset=["introductions.max_hops"])
    assert caught.value.fields == {"introductions.max_hops": (
        "Change a setting or reset it, not both.")}
