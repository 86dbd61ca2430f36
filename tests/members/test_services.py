"""Profile services: validation, partial policy updates, all-or-nothing, JSON shape, directory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.members import serialisation, services
from maillon.members.models import Member
from maillon.members.profiles import update_profile


def _load(member: Member) -> Member:
    loaded = db.session.get(Member, member.id)
    assert loaded is not None
    return loaded


def test_update_profile_cleans_and_saves(ctx: Any, create_member: Callable[..., Member]) -> None:
    member = _load(create_member("reseau"))
    update_profile(db.session, member, {
        "name": "  Ada   Lovelace ", "headline": "Analyst", "company": "Engines Ltd",
        "skills": [" Python ", "python", "Maths", "", "PYTHON", "Rust"],
        "summary": "One\r\n\r\nTwo", "open_to_opportunities": True, "relaying": "busy",
        "locale": "fr",
    })
    db.session.expire_all()
    member = _load(member)
    assert member.name == "Ada Lovelace"
    assert member.organisation == "Engines Ltd"
    assert member.skills == ["Python", "Maths", "Rust"]
    assert member.summary == "One\n\nTwo"
    assert member.open_to_opportunities is True
    assert member.relaying == "busy"
    assert member.locale == "fr"


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"headline": 3}, "headline"),
    ({"summary": "x" * 5001}, "summary"),
    ({"skills": ["x" * 61]}, "skills"),
    ({"skills": [f"skill {i}" for i in range(51)]}, "skills"),
    ({"skills": [1, 2]}, "skills"),
    ({"relaying": "sometimes"}, "relaying"),
    ({"locale": "de"}, "locale"),
    ({"open_to_opportunities": "yes"}, "open_to_opportunities"),
    ({"contact_policy": {"direct": "everyone"}}, "contact_policy.direct"),
    ({"contact_policy": {"max_hops": 7}}, "contact_policy.max_hops"),
    ({"contact_policy": {"max_hops": True}}, "contact_policy.max_hops"),
    ({"contact_policy": {"purposes": ["spam"]}}, "contact_policy.purposes"),
    ({"contact_policy": {"colour": "red"}}, "contact_policy.colour"),
    ({"contact_policy": "open"}, "contact_policy"),
    ({"visibility": {"contacts_visible_to": "world"}}, "visibility.contacts_visible_to"),
    ({"visibility": {"in_directory": "no"}}, "visibility.in_directory"),
    ({"email": "new@example.org"}, "email"),
    ({"role": "admin"}, "role"),
    ({"location": "Paris\x00"}, "location"),
])
def test_update_profile_rejects_bad_values(ctx: Any, create_member: Callable[..., Member],
                                           changes: dict[str, Any], field: str) -> None:
    member = _load(create_member("reseau"))
    with pytest.raises(ValidationFailed) as info:
        update_profile(db.session, member, changes)
    assert field in info.value.fields
    assert info.value.code == "validation_failed"


def test_update_profile_writes_nothing_when_one_field_fails(
        ctx: Any, create_member: Callable[..., Member]) -> None:
    member = _load(create_member("reseau", name="Before", headline="Old"))
    with pytest.raises(ValidationFailed) as info:
        update_profile(db.session, member, {
            "name": "After", "headline": "New", "skills": ["ok"],
            "contact_policy": {"direct": "anyone", "max_hops": 0}})
    assert set(info.value.fields) == {"contact_policy.max_hops"}
    db.session.rollback()
    db.session.expire_all()
    member = _load(member)
    assert (member.name, member.headline, member.skills) == ("Before", "Old", [])
    assert member.contact_policy["direct"] == "network"


def test_partial_policy_updates_keep_other_keys(ctx: Any,
                                                create_member: Callable[..., Member]) -> None:
    member = _load(create_member("reseau"))
    update_profile(db.session, member, {
        "contact_policy": {"direct": "nobody", "purposes": ["research", "advice"]},
        "visibility": {"in_directory": False}})
    update_profile(db.session, member, {"contact_policy": {"max_hops": 3}})
    db.session.expire_all()
    member = _load(member)
    assert member.contact_policy == {"direct": "nobody", "introductions": True,
                                     "purposes": ["research", "advice"], "max_hops": 3}
    assert member.visibility == {"in_directory": False, "contacts_visible_to": "connections"}


def test_profile_dict_shows_private_settings_only_to_oneself(
        ctx: Any, create_member: Callable[..., Member]) -> None:
    created = create_member("reseau", name="Ada", organisation="Engines", skills=["Maths"])
    other = _load(create_member("reseau"))  # the factory closes the session: load afterwards
    member = _load(created)
    public = serialisation.profile_dict(member, other)
    assert public["company"] == public["organisation"] == "Engines"
    assert public["photo_url"] is None
    assert public["experiences"] == [] and public["education"] == []
    for private in ("email", "contact_policy", "relaying", "visibility", "locale", "role",
                    "status"):
        assert private not in public
    own = serialisation.profile_dict(member, member)
    assert own["email"] == member.email
    assert own["contact_policy"]["max_hops"] == 6
    assert own["visibility"]["in_directory"] is True
    assert own["status"] == "active"


def test_list_directory_lists_visible_active_members_by_name(
        ctx: Any, instances: dict[str, Any], create_member: Callable[..., Member]) -> None:
    create_member("reseau", name="zoé")
    create_member("reseau", name="Anne")
    create_member("reseau", name="Hidden", visibility={"in_directory": False,
                                                      "contacts_visible_to": "nobody"})
    create_member("reseau", name="Suspended", status="suspended")
    create_member("acme", name="Bob")
    total, members = services.list_directory(db.session, instances["reseau"], None, 1, 20)
    assert total == 2
    assert [m.name for m in members] == ["Anne", "zoé"]
    total, members = services.list_directory(db.session, instances["reseau"], None, 2, 1)
    assert total == 2 and [m.name for m in members] == ["zoé"]


def test_access_member_from_another_instance_is_not_found(
        ctx: Any, instances: dict[str, Any], create_member: Callable[..., Member]) -> None:
    foreign = create_member("acme")
    with pytest.raises(NotFound):
        services.access_member(db.session, instances["reseau"], None, foreign.id)
