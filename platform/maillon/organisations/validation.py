"""The rules of an organisation's page and of an affiliation claim: the validation models the
services, the API and the forms share (``maillon.validation``, decision 33)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field

from maillon.organisations.models import SECTORS
from maillon.tenancy.settings import HOST_RE
from maillon.validation import Changes, Choice, Line, Rules, Text, fail

MAX_NAME = 120
MAX_DESCRIPTION = 3000
MAX_WEBSITE = 300
MAX_LOCATIONS = 10
MAX_LOCATION = 120
MAX_DOMAINS = 10
MAX_ROLE = 120


def sector_labels() -> dict[str, str]:
    """Each sector's label, in the reader's language."""
    return {
        "research": str(_l("Research")),
        "higher_education": str(_l("Higher education")),
        "public_sector": str(_l("Public sector")),
        "health": str(_l("Health")),
        "industry": str(_l("Industry")),
        "technology": str(_l("Technology")),
        "consulting": str(_l("Consulting")),
        "finance": str(_l("Finance")),
        "retail": str(_l("Retail")),
        "media": str(_l("Media and communication")),
        "culture": str(_l("Culture")),
        "association": str(_l("Association")),
        "trades": str(_l("Crafts and trades")),
        "other": str(_l("Other")),
    }


def _items(value: Any) -> list[Any]:
    """A list from JSON, or from a form's text (one item per line or comma)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[\n,;]", value) if part.strip()]
    if not isinstance(value, list | tuple):
        fail(_("Must be a list."))
    return list(value)


def _locations(value: Any) -> list[str]:
    items = _items(value)
    if len(items) > MAX_LOCATIONS:
        fail(_("At most %(n)d places.", n=MAX_LOCATIONS))
    line = Line(MAX_LOCATION)
    cleaned: list[str] = []
    for item in items:
        place = line.clean(item)
        if place and place.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(place)
    return cleaned


def _domains(value: Any) -> list[str]:
    items = _items(value)
    if len(items) > MAX_DOMAINS:
        fail(_("At most %(n)d domains.", n=MAX_DOMAINS))
    cleaned: list[str] = []
    for item in items:
        if not isinstance(item, str):
            fail(_("Must be text."))
        domain = item.strip().lower().removeprefix("@")
        if not HOST_RE.match(domain) or "." not in domain or len(domain) > 253:
            fail(
                _("“%(domain)s” is not an e-mail domain (such as example.org).", domain=domain[:60])
            )
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


def _website(value: Any) -> str:
    text = Line(MAX_WEBSITE).clean(value)
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not HOST_RE.match(parts.hostname)
        or "." not in parts.hostname
    ):
        fail(_("Give the address of a web site, such as https://example.org."))
    return text


Locations = Annotated[list[str], BeforeValidator(_locations)]
Domains = Annotated[list[str], BeforeValidator(_domains)]
Website = Annotated[str, BeforeValidator(_website)]


class OrganisationFields(Rules):
    """An organisation's page: what creating one takes."""

    name: Annotated[str, Line(MAX_NAME, required=True)] = Field(
        description="Unique in the instance, whatever the case."
    )
    description: Annotated[str, Text(MAX_DESCRIPTION)] = ""
    sector: Annotated[str, Choice(SECTORS)] = "other"
    website: Website = Field(
        "",
        max_length=MAX_WEBSITE + 8,
        description=("http or https; https:// is added when no scheme is given."),
    )
    locations: Locations = Field(
        default_factory=list, max_length=MAX_LOCATIONS, description=("Places (cities), at most 10.")
    )
    email_domains: Domains = Field(
        default_factory=list,
        max_length=MAX_DOMAINS,
        description=(
            "Members with a verified address at one of these domains are confirmed at once. "
            "Only a domain of the caller's own verified address (any, for instance admins)."
        ),
    )


class OrganisationChange(Changes):
    """A partial change of an organisation's page."""

    name: Annotated[str | None, Line(MAX_NAME, required=True)] = None
    description: Annotated[str | None, Text(MAX_DESCRIPTION)] = None
    sector: Annotated[str | None, Choice(SECTORS)] = None
    website: Website | None = None
    locations: Locations | None = None
    email_domains: Domains | None = None


class AffiliationClaim(Rules):
    """A member's claim: their role and whether they are still there."""

    role: Annotated[str, Line(MAX_ROLE)] = Field("", description="Job title or role.")
    current: bool = Field(True, description="false: a past affiliation (alumni).")
