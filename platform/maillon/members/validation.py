"""The rules of a profile's values: every field checked, every problem reported at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

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
from maillon.tenancy.settings import LOCALES

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

# Control characters are refused: they break rendering and PostgreSQL refuses NUL in text.
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")



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



# --- experiences and education ---------------------------------------------------------

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


def validate_experience(current: Experience | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a new (``current`` None) or changed experience, or ValidationFailed."""
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


def validate_education(current: Education | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a new (``current`` None) or changed education row, or
    ValidationFailed."""
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


