"""Pydantic models of request bodies and documented answers shared by several endpoints."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from maillon.members.models import (
    CONTACTS_VISIBLE_CHOICES,
    DIRECT_CHOICES,
    PURPOSES,
    RELAYING_CHOICES,
)
from maillon.tenancy.settings import LOCALES

Direct = Literal["anyone", "network", "nobody"]
Purpose = Literal["recruiting", "business", "partnership", "research", "advice", "other"]
Relaying = Literal["open", "busy", "off"]
ContactsVisibleTo = Literal["nobody", "connections", "second_degree", "members"]
Locale = Literal["en", "fr"]
assert set(Direct.__args__) == set(DIRECT_CHOICES)  # type: ignore[attr-defined]
assert set(Purpose.__args__) == set(PURPOSES)  # type: ignore[attr-defined]
assert set(ContactsVisibleTo.__args__) == set(CONTACTS_VISIBLE_CHOICES)  # type: ignore[attr-defined]
assert set(Relaying.__args__) == set(RELAYING_CHOICES)  # type: ignore[attr-defined]
assert set(Locale.__args__) == set(LOCALES)  # type: ignore[attr-defined]


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    # An optional PATCH field is "absent = unchanged", not "defaults to null".
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 instead of a silent no-op."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_defaults)


def _patch_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Document PATCH fields as they are checked: no default, null only where allowed."""
    _drop_null_defaults(schema)
    nullable: frozenset[str] = getattr(model, "nullable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf", [])
        if name not in nullable and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            del prop["anyOf"]
            prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})


class Patch(Body):
    """A partial change: a field left out is unchanged; null only for the ``nullable`` ones.

    Fields are typed ``X | None = None`` so that "absent" has a value; the validator below
    refuses an explicit null where it means nothing.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable snake_case code, e.g. validation_failed.")
    message: str = Field(description="Human text in the caller's language.")
    fields: dict[str, str] | None = Field(
        None, description="For validation errors: the problem of each field (a.b for nested).")


class Error(BaseModel):
    """Every error answer of the API."""

    error: ErrorDetail


class ContactPolicy(BaseModel):
    direct: Direct
    introductions: bool
    purposes: list[Purpose]
    max_hops: int = Field(ge=1, le=6)


class Visibility(BaseModel):
    in_directory: bool
    contacts_visible_to: ContactsVisibleTo


class Profile(BaseModel):
    """A profile as the caller may see it."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    headline: str
    position: str
    company: str
    organisation: str = Field(description="Same value as company.")
    location: str
    skills: list[str]
    summary: str
    offers: str
    seeks: str
    open_to_opportunities: bool
    photo_url: str | None


class OwnProfile(Profile):
    """The caller's own profile, with private settings."""

    email: str
    contact_policy: ContactPolicy
    relaying: Relaying
    visibility: Visibility
    locale: Locale | None
    role: str
    status: str
