"""Pydantic models of documented answers shared by several endpoints. Request bodies are the
service layer's validation models (``maillon.validation`` and each domain's rules)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from maillon.members.models import (
    CONTACTS_VISIBLE_CHOICES,
    DIRECT_CHOICES,
    PURPOSES,
    RELAYING_CHOICES,
)
from maillon.tenancy.settings import LOCALES
from maillon.validation import Choice

# The closed lists of answers, documented as enums from the lists the rules check.
Direct = Annotated[str, Choice(DIRECT_CHOICES)]
Purpose = Annotated[str, Choice(PURPOSES)]
Relaying = Annotated[str, Choice(RELAYING_CHOICES)]
ContactsVisibleTo = Annotated[str, Choice(CONTACTS_VISIBLE_CHOICES)]
Locale = Annotated[str, Choice(LOCALES)]


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
