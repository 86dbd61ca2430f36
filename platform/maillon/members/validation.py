"""The rules of a profile's values, as the validation models the services, the API and the
forms share (``maillon.validation``): a profile change, an experience, an education row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, ClassVar

from flask_babel import gettext as _
from pydantic import Field, model_validator

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
from maillon.validation import (
    FLAG,
    LINE_CONTROL,
    YEAR,
    BlankIsNone,
    Changes,
    Choice,
    Choices,
    Day,
    Line,
    Rule,
    Rules,
    Text,
    Whole,
    check,
    fail,
    given,
)

MAX_SKILLS = 50
MAX_SKILL_LENGTH = 60
MAX_HOPS = 6


class SkillList(Rule):
    """Trimmed, de-duplicated (case-insensitively, first spelling wins) skills."""

    def clean(self, value: Any) -> list[str]:
        if not isinstance(value, list | tuple):
            fail(_("Must be a list of skills."))
        skills: list[str] = []
        seen: set[str] = set()
        for item in value:
            if not isinstance(item, str):
                fail(_("Each skill must be text."))
            skill = " ".join(item.split())
            if not skill:
                continue
            if LINE_CONTROL.search(skill):
                fail(_("Contains characters that are not allowed."))
            if len(skill) > MAX_SKILL_LENGTH:
                fail(_("Each skill has at most %(n)d characters.", n=MAX_SKILL_LENGTH))
            if skill.casefold() not in seen:
                seen.add(skill.casefold())
                skills.append(skill)
        if len(skills) > MAX_SKILLS:
            fail(_("At most %(n)d skills.", n=MAX_SKILLS))
        return skills

    def schema(self) -> dict[str, Any]:
        return {"maxItems": MAX_SKILLS}


# The enum documents the string branch; null (or empty) is the instance's default language.
Locale = Annotated[Annotated[str, Choice(LOCALES)] | None, BlankIsNone(Choice(LOCALES))]


class ContactPolicyPatch(Changes):
    """Some keys of the contact policy; the others keep their values."""

    direct: Annotated[str | None, Choice(DIRECT_CHOICES)] = None
    introductions: Annotated[bool | None, FLAG] = None
    purposes: Annotated[list[str] | None, Choices(PURPOSES)] = None
    max_hops: Annotated[int | None, Whole(MAX_HOPS)] = None


class VisibilityPatch(Changes):
    """Some keys of the visibility settings; the others keep their values."""

    in_directory: Annotated[bool | None, FLAG] = None
    contacts_visible_to: Annotated[str | None, Choice(CONTACTS_VISIBLE_CHOICES)] = None


class ProfilePatch(Changes):
    """Any subset of the editable fields."""

    nullable: ClassVar[frozenset[str]] = frozenset({"locale"})

    name: Annotated[str | None, Line(120, required=True)] = None
    headline: Annotated[str | None, Line(200)] = None
    company: Annotated[str | None, Line(120)] = Field(
        None, description="Stored as the organisation.")
    location: Annotated[str | None, Line(120)] = None
    skills: Annotated[list[str] | None, SkillList()] = None
    summary: Annotated[str | None, Text(5000)] = None
    offers: Annotated[str | None, Text(2000)] = None
    seeks: Annotated[str | None, Text(2000)] = None
    open_to_opportunities: Annotated[bool | None, FLAG] = None
    contact_policy: ContactPolicyPatch | None = Field(
        None, description="Only the keys given change; the others keep their values.")
    relaying: Annotated[str | None, Choice(RELAYING_CHOICES)] = None
    visibility: VisibilityPatch | None = Field(
        None, description="Only the keys given change; the others keep their values.")
    locale: Locale = Field(None, description="null: the instance's default language.")


class ProfileChange(ProfilePatch):
    """A profile change as the edit page sends it: with the position, and the organisation
    under its own name (``company`` is the API's name for it)."""

    position: Annotated[str | None, Line(120)] = None
    organisation: Annotated[str | None, Line(120)] = None


def validate_profile_changes(member: Member, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned new values of a profile change, or ValidationFailed listing every problem;
    the policy and visibility keys given are merged into the member's current ones."""
    clean = given(check(ProfileChange, changes))
    if "company" in clean:
        company = clean.pop("company")
        clean.setdefault("organisation", company)
    if "contact_policy" in clean:
        clean["contact_policy"] = {**default_contact_policy(), **(member.contact_policy or {}),
                                   **clean["contact_policy"]}
    if "visibility" in clean:
        clean["visibility"] = {**default_visibility(), **(member.visibility or {}),
                               **clean["visibility"]}
    return clean


# --- experiences and education ------------------------------------------------------------------

class ExperienceFields(Rules):
    """A dated position."""

    title: Annotated[str, Line(120, required=True)] = ""
    organisation: Annotated[str, Line(120)] = ""
    location: Annotated[str, Line(120)] = ""
    start_date: Annotated[date | None, Day(required=True)] = None
    end_date: Annotated[date | None, Day()] = None
    description: Annotated[str, Text(2000)] = ""

    @model_validator(mode="after")
    def _in_order(self) -> ExperienceFields:
        start, end = self.start_date, self.end_date
        if start is not None and end is not None and end < start:
            fail(_("The end comes before the start."), "end_date")
        return self


class EducationFields(Rules):
    """A school, degree or field of study."""

    school: Annotated[str, Line(160, required=True)] = ""
    degree: Annotated[str, Line(160)] = ""
    field: Annotated[str, Line(160)] = ""
    start_year: Annotated[int | None, YEAR] = None
    end_year: Annotated[int | None, YEAR] = None

    @model_validator(mode="after")
    def _in_order(self) -> EducationFields:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            fail(_("The end comes before the start."), "end_year")
        return self


def _validate_row(model: type[Rules], current: Experience | Education | None,
                  data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a new row (``current`` None) or the changed ones of a row, checked
    together with the row's other values (an end date against the stored start)."""
    if current is None:
        return check(model, data).model_dump()
    stored = {name: getattr(current, name) for name in model.model_fields}
    clean = check(model, {**stored, **data}).model_dump()
    return {name: clean[name] for name in data}


def validate_experience(current: Experience | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a new (``current`` None) or changed experience."""
    return _validate_row(ExperienceFields, current, data)


def validate_education(current: Education | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a new (``current`` None) or changed education row."""
    return _validate_row(EducationFields, current, data)
