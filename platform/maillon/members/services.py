"""Member lookups (always scoped to an instance), visibility, and profile changes."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select, true
from sqlalchemy.orm import Session, selectinload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, utcnow
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
from maillon.members.photos import PreparedPhoto
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
    """How many members the directory lists (the home page's figure: the same people)."""
    return int(session.scalar(select(func.count(Member.id)).where(
        *_listed(instance))) or 0)


def set_member_locale(session: Session, member: Member, locale: str) -> None:
    """Record the member's language (the switcher); it also picks their search stemming."""
    member.locale = locale
    member_changed.send(session, member=member)
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


def profile_dict(member: Member, viewer: Member | None, *,
                 experiences: Sequence[Any] | None = None,
                 education: Sequence[Any] | None = None) -> dict[str, Any]:
    """The JSON shape of a profile; private settings only for the member themself.

    ``experiences``/``education`` (rows with the models' attribute names) replace the member's
    collections when a list has read them for many members at once."""
    data: dict[str, Any] = {
        "id": member.id, "name": member.name, "headline": member.headline,
        "position": member.position, "company": member.organisation,
        "organisation": member.organisation, "location": member.location,
        "skills": list(member.skills or []), "summary": member.summary,
        "offers": member.offers, "seeks": member.seeks,
        "open_to_opportunities": bool(member.open_to_opportunities),
        "photo_url": photo_url(member),
        "experiences": [experience_dict(e) for e in (
            member.experiences if experiences is None else experiences)],
        "education": [education_dict(e) for e in (
            member.education if education is None else education)],
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


def load_profiles(session: Session, members: Iterable[Member]) -> None:
    """Load the experiences and education of many members at once (what ``profile_dict``
    reads), instead of two lazy queries per member."""
    missing = {m.id: m for m in members
               if {"experiences", "education"} & inspect(m).unloaded}
    if not missing:
        return
    # Rows already in the session keep their state; only the unloaded collections are filled.
    session.scalars(select(Member).where(Member.id.in_(list(missing))).options(
        selectinload(Member.experiences), selectinload(Member.education))).all()


def profile_dicts(session: Session, members: list[Member], viewer: Member | None
                  ) -> list[dict[str, Any]]:
    """``profile_dict`` of each member, in two queries whatever their number.

    The experiences and education are read as plain rows, not as mapped objects: a page of
    twenty profiles would otherwise build a hundred ORM objects for a JSON answer."""
    if not members:
        return []
    instance_id = members[0].instance_id
    ids = [m.id for m in members]
    experiences: dict[int, list[Any]] = {}
    for row in session.execute(select(
            Experience.member_id, Experience.id, Experience.title, Experience.organisation,
            Experience.location, Experience.start_date, Experience.end_date,
            Experience.description).where(
            Experience.instance_id == instance_id, Experience.member_id.in_(ids)).order_by(
            Experience.end_date.is_(None).desc(), Experience.start_date.desc())):
        experiences.setdefault(row.member_id, []).append(row)
    education: dict[int, list[Any]] = {}
    for school in session.execute(select(
            Education.member_id, Education.id, Education.school, Education.degree,
            Education.field, Education.start_year, Education.end_year).where(
            Education.instance_id == instance_id, Education.member_id.in_(ids)).order_by(
            Education.start_year.desc())):
        education.setdefault(school.member_id, []).append(school)
    return [profile_dict(m, viewer, experiences=experiences.get(m.id, []),
                         education=education.get(m.id, [])) for m in members]


@dataclass(frozen=True)
class MemberCard:
    """What a member list shows of someone: plain values, so a template cannot lazy-load.

    The attribute names are the member's own (``photo`` is the file name the avatar macros
    read), so list templates take a card where they took a member.
    """

    id: int
    name: str
    headline: str
    position: str
    organisation: str
    location: str
    photo: str | None
    photo_url: str | None
    open_to_opportunities: bool
    degree: int | None = None  # from the viewer: 1, 2, 3, or None beyond / unknown
    shared: int = 0  # connections shared with the viewer


def member_card(member: Member, degree: int | None = None, shared: int = 0) -> MemberCard:
    """The card of a loaded member, with the viewer's degree badge and shared count."""
    return MemberCard(
        id=member.id, name=member.name, headline=member.headline, position=member.position,
        organisation=member.organisation, location=member.location, photo=member.photo,
        photo_url=photo_url(member), open_to_opportunities=bool(member.open_to_opportunities),
        degree=degree, shared=shared)


def _listed(instance: Instance) -> tuple[Any, ...]:
    """Who the directory lists, and so who any member count counts: active members who did
    not take their profile out of it."""
    in_directory = func.coalesce(Member.visibility["in_directory"].as_boolean(), true())
    return (Member.instance_id == instance.id, Member.status.in_(VISIBLE_STATUSES),
            in_directory.is_(true()))


def list_directory(session: Session, instance: Instance, viewer: Member | None, page: int = 1,
                   per_page: int = 20) -> tuple[int, list[Member]]:
    """Active members listed in the directory, by name: (total, this page)."""
    per_page = max(1, min(int(per_page), 100))
    page = max(1, int(page))
    where = _listed(instance)
    total = int(session.scalar(select(func.count(Member.id)).where(*where)) or 0)
    members = list(session.scalars(
        select(Member).where(*where).order_by(func.lower(Member.name), Member.id)
        .limit(per_page).offset((page - 1) * per_page)))
    return total, members


# --- experiences and education -------------------------------------------------------------

def _clean_date(value: Any, field: str, errors: _Errors, *, required: bool) -> date | None:
    """A date from a date or ISO text (YYYY-MM-DD or YYYY-MM: the first of the month)."""
    if value in (None, ""):
        if required:
            errors.add(field, _l("This field is required."))
        return None
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = date.fromisoformat(text + "-01" if len(text) == 7 else text)
        except ValueError:
            errors.add(field, _l("Not a valid date (YYYY-MM-DD)."))
            return None
    else:
        errors.add(field, _l("Not a valid date (YYYY-MM-DD)."))
        return None
    if not 1900 <= parsed.year <= utcnow().year + 10:
        errors.add(field, _l("Not a plausible date."))
        return None
    return parsed


def _clean_year(value: Any, field: str, errors: _Errors) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, _l("Must be a year."))
        return None
    if not 1900 <= value <= utcnow().year + 10:
        errors.add(field, _l("Not a plausible year."))
        return None
    return value


EXPERIENCE_FIELDS = frozenset({"title", "organisation", "location", "start_date", "end_date",
                               "description"})
EDUCATION_FIELDS = frozenset({"school", "degree", "field", "start_year", "end_year"})


def _validate_experience(current: Experience | None, data: Mapping[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    clean: dict[str, Any] = {}
    for key in data:
        if key not in EXPERIENCE_FIELDS:
            errors.add(key, _l("Unknown or read-only field."))
    creating = current is None
    if creating or "title" in data:
        clean["title"] = _clean_line(data.get("title"), "title", 120, errors, required=True)
    for key in ("organisation", "location"):
        if creating or key in data:
            clean[key] = _clean_line(data.get(key), key, 120, errors)
    if creating or "description" in data:
        clean["description"] = _clean_text(data.get("description"), "description", 2000, errors)
    if creating or "start_date" in data:
        clean["start_date"] = _clean_date(data.get("start_date"), "start_date", errors,
                                          required=True)
    if creating or "end_date" in data:
        clean["end_date"] = _clean_date(data.get("end_date"), "end_date", errors,
                                        required=False)
    start = clean.get("start_date", current.start_date if current else None)
    end = clean.get("end_date", current.end_date if current else None)
    if not errors and start and end and end < start:
        errors.add("end_date", _l("The end comes before the start."))
    if errors:
        raise ValidationFailed(dict(errors))
    return clean


def _validate_education(current: Education | None, data: Mapping[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    clean: dict[str, Any] = {}
    for key in data:
        if key not in EDUCATION_FIELDS:
            errors.add(key, _l("Unknown or read-only field."))
    creating = current is None
    if creating or "school" in data:
        clean["school"] = _clean_line(data.get("school"), "school", 160, errors, required=True)
    for key in ("degree", "field"):
        if creating or key in data:
            clean[key] = _clean_line(data.get(key), key, 160, errors)
    for key in ("start_year", "end_year"):
        if creating or key in data:
            clean[key] = _clean_year(data.get(key), key, errors)
    start = clean.get("start_year", current.start_year if current else None)
    end = clean.get("end_year", current.end_year if current else None)
    if not errors and start and end and end < start:
        errors.add("end_year", _l("The end comes before the start."))
    if errors:
        raise ValidationFailed(dict(errors))
    return clean


def get_experience(session: Session, member: Member, experience_id: int) -> Experience:
    """One of the member's own experiences; anyone else's (or another instance's) is 404."""
    row = session.scalar(select(Experience).where(
        Experience.id == experience_id, Experience.member_id == member.id,
        Experience.instance_id == member.instance_id))
    if row is None:
        raise NotFound()
    return row


def get_education(session: Session, member: Member, education_id: int) -> Education:
    """One of the member's own education rows; anyone else's (or another instance's) is 404."""
    row = session.scalar(select(Education).where(
        Education.id == education_id, Education.member_id == member.id,
        Education.instance_id == member.instance_id))
    if row is None:
        raise NotFound()
    return row


def _count(session: Session, model: type[Experience] | type[Education], member: Member) -> int:
    return int(session.scalar(select(func.count(model.id)).where(
        model.member_id == member.id, model.instance_id == member.instance_id)) or 0)


def add_experience(session: Session, member: Member, data: Mapping[str, Any]) -> Experience:
    """Add a dated position to the member's profile."""
    clean = _validate_experience(None, data)
    if _count(session, Experience, member) >= MAX_EXPERIENCES:
        raise ValidationFailed({"title": str(_l("At most %(n)d experiences.",
                                                 n=MAX_EXPERIENCES))})
    row = Experience(instance_id=member.instance_id, member_id=member.id, **clean)
    session.add(row)
    _touch(session, member)
    return row


def update_experience(session: Session, member: Member, experience_id: int,
                      changes: Mapping[str, Any]) -> Experience:
    """Change some fields of one of the member's experiences."""
    row = get_experience(session, member, experience_id)
    for key, value in _validate_experience(row, changes).items():
        setattr(row, key, value)
    _touch(session, member)
    return row


def delete_experience(session: Session, member: Member, experience_id: int) -> None:
    """Remove one of the member's experiences."""
    session.delete(get_experience(session, member, experience_id))
    _touch(session, member)


def add_education(session: Session, member: Member, data: Mapping[str, Any]) -> Education:
    """Add a school or degree to the member's profile."""
    clean = _validate_education(None, data)
    if _count(session, Education, member) >= MAX_EDUCATION:
        raise ValidationFailed({"school": str(_l("At most %(n)d entries.", n=MAX_EDUCATION))})
    row = Education(instance_id=member.instance_id, member_id=member.id, **clean)
    session.add(row)
    _touch(session, member)
    return row


def update_education(session: Session, member: Member, education_id: int,
                     changes: Mapping[str, Any]) -> Education:
    """Change some fields of one of the member's education rows."""
    row = get_education(session, member, education_id)
    for key, value in _validate_education(row, changes).items():
        setattr(row, key, value)
    _touch(session, member)
    return row


def delete_education(session: Session, member: Member, education_id: int) -> None:
    """Remove one of the member's education rows."""
    session.delete(get_education(session, member, education_id))
    _touch(session, member)


def _touch(session: Session, member: Member) -> None:
    """Commit a change to the profile's sub-rows; search indexes experiences too."""
    member.updated_at = utcnow()
    session.flush()
    session.expire(member, ["experiences", "education"])
    member_changed.send(session, member=member)
    session.commit()


# --- photo --------------------------------------------------------------------------------

def photo_dir(var_dir: str | Path, instance: Instance) -> Path:
    return Path(var_dir) / "media" / instance.slug / "photos"


def set_photo(session: Session, instance: Instance, member: Member, photo: PreparedPhoto,
              var_dir: str | Path) -> str:
    """Store a prepared photo (``photos.prepare_photo``, called before: decoding is slow and
    must not hold the write lock) as the member's; returns its file name."""
    if member.instance_id != instance.id:
        raise NotFound()
    folder = photo_dir(var_dir, instance)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.jpg"
    temporary = folder / f".{name}.part"
    temporary.write_bytes(photo.jpeg)
    os.replace(temporary, folder / name)
    begin_write(session)
    previous = member.photo
    try:
        member.photo = name
        member.updated_at = utcnow()
        member_changed.send(session, member=member)
        session.commit()
    except BaseException:
        session.rollback()
        (folder / name).unlink(missing_ok=True)
        raise
    _delete_photo_file(folder, previous)
    return name


def remove_photo(session: Session, instance: Instance, member: Member,
                 var_dir: str | Path) -> None:
    """Remove the member's photo (the initials avatar shows instead) and its file."""
    if member.instance_id != instance.id:
        raise NotFound()
    previous = member.photo
    if previous is None:
        return
    member.photo = None
    member.updated_at = utcnow()
    member_changed.send(session, member=member)
    session.commit()
    _delete_photo_file(photo_dir(var_dir, instance), previous)


def _delete_photo_file(folder: Path, name: str | None) -> None:
    if name and PHOTO_NAME.match(name):
        (folder / name).unlink(missing_ok=True)


def photo_path(session: Session, instance: Instance, viewer: Member | None, member_id: int,
               name: str, var_dir: str | Path) -> Path:
    """The file of a member's current photo, if the viewer may see that member; else 404."""
    if not PHOTO_NAME.match(name):
        raise NotFound()
    member = access_member(session, instance, viewer, member_id)
    path = photo_dir(var_dir, instance) / name
    if member.photo != name or not path.is_file():
        raise NotFound()
    return path
