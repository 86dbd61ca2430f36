"""Member lookups (always scoped to an instance), visibility, and profile changes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import utcnow
from maillon.errors import ValidationFailed
from maillon.members.models import (
    CONTACTS_VISIBLE_CHOICES,
    DIRECT_CHOICES,
    PURPOSES,
    RELAYING_CHOICES,
    Education,
    Experience,
    Member,
    default_contact_policy,
    default_visibility,
)
from maillon.members.signals import member_changed
from maillon.tenancy.models import Instance
from maillon.tenancy.settings import LOCALES

VISIBLE_STATUSES = ("active",)

# Longest accepted values; single-line fields match their column sizes.
LINE_FIELDS = {"name": 120, "headline": 200, "position": 120, "organisation": 120,
               "location": 120}
TEXT_FIELDS = {"summary": 5000, "offers": 2000, "seeks": 2000}
BOOL_FIELDS = ("open_to_opportunities",)
EDITABLE_FIELDS = frozenset({*LINE_FIELDS, *TEXT_FIELDS, *BOOL_FIELDS, "company", "skills",
                             "contact_policy", "relaying", "visibility", "locale"})
MAX_SKILLS = 50
MAX_SKILL_LENGTH = 60
MAX_HOPS = 6
MAX_EXPERIENCES = 50
MAX_EDUCATION = 30
PHOTO_SIZE = 400
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")

# Control characters are refused: they break rendering and PostgreSQL refuses NUL in text.
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def find_member(session: Session, instance: Instance, member_id: int) -> Member | None:
    """A member of this instance by id, whatever their status; None if absent or foreign."""
    return session.scalar(select(Member).where(Member.instance_id == instance.id,
                                               Member.id == member_id))


def get_member(session: Session, instance: Instance, member_id: int) -> Member:
    member = find_member(session, instance, member_id)
    if member is None:
        raise NotFound()
    return member


def access_member(session: Session, instance: Instance, viewer: Member | None,
                  member_id: int) -> Member:
    """The member a viewer may look at: active members, or oneself; 404 otherwise.

    Another instance's id, a deleted, suspended or unconfirmed account all look the same:
    missing. Admins and moderators also see suspended members.
    """
    member = find_member(session, instance, member_id)
    if member is None:
        raise NotFound()
    if viewer is not None and viewer.instance_id == instance.id:
        if viewer.id == member.id:
            return member
        if viewer.is_moderator and member.status == "suspended":
            return member
    if member.status not in VISIBLE_STATUSES:
        raise NotFound()
    return member


def count_members(session: Session, instance: Instance) -> int:
    return int(session.scalar(select(func.count(Member.id)).where(
        Member.instance_id == instance.id, Member.status == "active")) or 0)


def set_member_locale(session: Session, member: Member, locale: str) -> None:
    member.locale = locale
    session.commit()


def notify_changed(session: Session, member: Member) -> None:
    """Tell other domains (search) in the current transaction that a member changed."""
    member_changed.send(session, member=member)


# --- validation helpers -------------------------------------------------------------------

class _Errors(dict[str, str]):
    """Collects field problems so that every one is reported at once."""

    def add(self, field: str, problem: Any) -> None:
        self.setdefault(field, str(problem))


def _clean_line(value: Any, field: str, limit: int, errors: _Errors, *,
                required: bool = False) -> str | None:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _l("Must be text."))
        return None
    value = " ".join(value.split())
    if _LINE_CONTROL.search(value):
        errors.add(field, _l("Contains characters that are not allowed."))
        return None
    if required and not value:
        errors.add(field, _l("This field is required."))
        return None
    if len(value) > limit:
        errors.add(field, _l("At most %(n)d characters.", n=limit))
        return None
    return value


def _clean_text(value: Any, field: str, limit: int, errors: _Errors) -> str | None:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _l("Must be text."))
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _TEXT_CONTROL.search(value):
        errors.add(field, _l("Contains characters that are not allowed."))
        return None
    if len(value) > limit:
        errors.add(field, _l("At most %(n)d characters.", n=limit))
        return None
    return value


def _clean_bool(value: Any, field: str, errors: _Errors) -> bool | None:
    if not isinstance(value, bool):
        errors.add(field, _l("Must be true or false."))
        return None
    return value


def _clean_choice(value: Any, field: str, choices: tuple[str, ...], errors: _Errors
                  ) -> str | None:
    if not isinstance(value, str) or value not in choices:
        errors.add(field, _l("Must be one of: %(choices)s.", choices=", ".join(choices)))
        return None
    return value


def clean_skills(value: Any, errors: _Errors | None = None) -> list[str] | None:
    """Trimmed, de-duplicated (case-insensitively, first spelling wins) skills; None if bad."""
    errors = errors if errors is not None else _Errors()
    if isinstance(value, str):  # forms send one comma-separated line
        value = value.split(",")
    if not isinstance(value, list | tuple):
        errors.add("skills", _l("Must be a list of skills."))
        return None
    skills: list[str] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            errors.add("skills", _l("Each skill must be text."))
            return None
        skill = " ".join(item.split())
        if not skill:
            continue
        if _LINE_CONTROL.search(skill):
            errors.add("skills", _l("Contains characters that are not allowed."))
            return None
        if len(skill) > MAX_SKILL_LENGTH:
            errors.add("skills", _l("Each skill has at most %(n)d characters.",
                                    n=MAX_SKILL_LENGTH))
            return None
        if skill.casefold() not in seen:
            seen.add(skill.casefold())
            skills.append(skill)
    if len(skills) > MAX_SKILLS:
        errors.add("skills", _l("At most %(n)d skills.", n=MAX_SKILLS))
        return None
    return skills


def _clean_contact_policy(value: Any, current: Mapping[str, Any], errors: _Errors
                          ) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        errors.add("contact_policy", _l("Must be an object."))
        return None
    policy = {**default_contact_policy(), **(current or {})}
    before = len(errors)
    for key, item in value.items():
        field = f"contact_policy.{key}"
        if key == "direct":
            if _clean_choice(item, field, DIRECT_CHOICES, errors) is not None:
                policy["direct"] = item
        elif key == "introductions":
            if _clean_bool(item, field, errors) is not None:
                policy["introductions"] = item
        elif key == "purposes":
            if not isinstance(item, list | tuple) or any(p not in PURPOSES for p in item):
                errors.add(field, _l("Must be a list among: %(choices)s.",
                                     choices=", ".join(PURPOSES)))
            else:
                policy["purposes"] = [p for p in PURPOSES if p in item]
        elif key == "max_hops":
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_HOPS:
                errors.add(field, _l("Must be a whole number from 1 to %(n)d.", n=MAX_HOPS))
            else:
                policy["max_hops"] = item
        else:
            errors.add(field, _l("Unknown setting."))
    return policy if len(errors) == before else None


def _clean_visibility(value: Any, current: Mapping[str, Any], errors: _Errors
                      ) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        errors.add("visibility", _l("Must be an object."))
        return None
    visibility = {**default_visibility(), **(current or {})}
    before = len(errors)
    for key, item in value.items():
        field = f"visibility.{key}"
        if key == "in_directory":
            if _clean_bool(item, field, errors) is not None:
                visibility["in_directory"] = item
        elif key == "contacts_visible_to":
            if _clean_choice(item, field, CONTACTS_VISIBLE_CHOICES, errors) is not None:
                visibility["contacts_visible_to"] = item
        else:
            errors.add(field, _l("Unknown setting."))
    return visibility if len(errors) == before else None


# --- profile ------------------------------------------------------------------------------

def validate_profile_changes(member: Member, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned new values of a profile change, or ValidationFailed listing every problem."""
    errors = _Errors()
    clean: dict[str, Any] = {}
    changes = dict(changes)
    if "company" in changes:  # the API's name for the organisation
        company = changes.pop("company")
        changes.setdefault("organisation", company)
    for field, value in changes.items():
        if field not in EDITABLE_FIELDS:
            errors.add(field, _l("Unknown or read-only field."))
        elif field in LINE_FIELDS:
            cleaned = _clean_line(value, field, LINE_FIELDS[field], errors,
                                  required=field == "name")
            if cleaned is not None:
                clean[field] = cleaned
        elif field in TEXT_FIELDS:
            text = _clean_text(value, field, TEXT_FIELDS[field], errors)
            if text is not None:
                clean[field] = text
        elif field in BOOL_FIELDS:
            flag = _clean_bool(value, field, errors)
            if flag is not None:
                clean[field] = flag
        elif field == "skills":
            skills = clean_skills(value, errors)
            if skills is not None:
                clean[field] = skills
        elif field == "relaying":
            relaying = _clean_choice(value, field, RELAYING_CHOICES, errors)
            if relaying is not None:
                clean[field] = relaying
        elif field == "locale":
            if value in (None, ""):
                clean[field] = None
            elif _clean_choice(value, field, LOCALES, errors) is not None:
                clean[field] = value
        elif field == "contact_policy":
            policy = _clean_contact_policy(value, member.contact_policy, errors)
            if policy is not None:
                clean[field] = policy
        elif field == "visibility":
            visibility = _clean_visibility(value, member.visibility, errors)
            if visibility is not None:
                clean[field] = visibility
    if errors:
        raise ValidationFailed(dict(errors))
    return clean


def update_profile(session: Session, member: Member, changes: Mapping[str, Any]) -> Member:
    """Apply a partial profile change after validating all of it: all or nothing."""
    clean = validate_profile_changes(member, changes)
    if not clean:
        return member
    for field, value in clean.items():
        # New dict/list objects, so SQLAlchemy sees JSON columns change.
        setattr(member, field, value)
    member.updated_at = utcnow()
    member_changed.send(session, member=member)
    session.commit()
    return member


def photo_url(member: Member) -> str | None:
    """Where a member's photo is served, relative to the instance; None without a photo."""
    if not member.photo:
        return None
    if has_request_context():
        return url_for("members.photo", member_id=member.id, name=member.photo)
    return f"/members/{member.id}/photo/{member.photo}"


def experience_dict(experience: Experience) -> dict[str, Any]:
    return {"id": experience.id, "title": experience.title,
            "organisation": experience.organisation, "location": experience.location,
            "start_date": experience.start_date.isoformat(),
            "end_date": experience.end_date.isoformat() if experience.end_date else None,
            "description": experience.description}


def education_dict(education: Education) -> dict[str, Any]:
    return {"id": education.id, "school": education.school, "degree": education.degree,
            "field": education.field, "start_year": education.start_year,
            "end_year": education.end_year}


def profile_dict(member: Member, viewer: Member | None) -> dict[str, Any]:
    """The JSON shape of a profile; private settings only for the member themself."""
    data: dict[str, Any] = {
        "id": member.id, "name": member.name, "headline": member.headline,
        "position": member.position, "company": member.organisation,
        "organisation": member.organisation, "location": member.location,
        "skills": list(member.skills or []), "summary": member.summary,
        "offers": member.offers, "seeks": member.seeks,
        "open_to_opportunities": bool(member.open_to_opportunities),
        "photo_url": photo_url(member),
        "experiences": [experience_dict(e) for e in member.experiences],
        "education": [education_dict(e) for e in member.education],
    }
    if viewer is not None and viewer.id == member.id and viewer.instance_id == member.instance_id:
        data.update({
            "email": member.email,
            "contact_policy": {**default_contact_policy(), **(member.contact_policy or {})},
            "relaying": member.relaying,
            "visibility": {**default_visibility(), **(member.visibility or {})},
            "locale": member.locale, "role": member.role, "status": member.status,
        })
    return data


def list_directory(session: Session, instance: Instance, viewer: Member | None, page: int = 1,
                   per_page: int = 20) -> tuple[int, list[Member]]:
    """Active members listed in the directory, by name: (total, this page)."""
    per_page = max(1, min(int(per_page), 100))
    page = max(1, int(page))
    in_directory = func.coalesce(Member.visibility["in_directory"].as_boolean(), true())
    where = (Member.instance_id == instance.id, Member.status.in_(VISIBLE_STATUSES),
             in_directory.is_(true()))
    total = int(session.scalar(select(func.count(Member.id)).where(*where)) or 0)
    members = list(session.scalars(
        select(Member).where(*where).order_by(func.lower(Member.name), Member.id)
        .limit(per_page).offset((page - 1) * per_page)))
    return total, members
