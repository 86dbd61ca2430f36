"""What a demo community is made of: its trades, organisations, schools, staff and personas.

The data of each community lives in its own module (academia, acme, reseau); an instance that
has none borrows the association's and gets addresses at its own domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# A job title as (masculine or neutral, feminine): French titles agree with the person.
Title = tuple[str, str]


def both(title: str) -> Title:
    """A title that is the same for everyone (English, or epicene French)."""
    return (title, title)


@dataclass(frozen=True)
class Org:
    name: str
    city: str
    domain: str = ""  # e-mail domain of its people, when the community uses work addresses


@dataclass(frozen=True)
class Track:
    """A kind of member (a research field, a department, a trade) and what goes with it."""

    field: str
    ladder: tuple[Title, ...]  # from junior to senior: earlier jobs take lower rungs
    skills: tuple[str, ...]
    topics: tuple[str, ...]  # phrases for summaries and experience descriptions
    organisations: tuple[Org, ...]
    weight: int = 1


@dataclass(frozen=True)
class School:
    name: str
    degrees: tuple[tuple[str, str], ...]  # (degree, field of study)


@dataclass(frozen=True)
class Persona:
    """A named member with a well-known address (staff, or someone to log in as)."""

    email: str
    first: str
    last: str
    female: bool
    role: str  # member, moderator, admin
    track: int  # index into the community's tracks
    rung: int  # index into the track's ladder
    organisation: int  # index into the track's organisations
    summary: str = ""


@dataclass(frozen=True)
class Community:
    slug: str
    size: int  # members in the normal demo, staff and personas included
    french_share: float  # share of French names
    locales: tuple[tuple[str | None, int], ...]  # member locale choices and their weights
    tracks: tuple[Track, ...]
    schools: tuple[School, ...]
    past_orgs: tuple[Org, ...]  # other employers for earlier experiences
    cities: tuple[str, ...]
    headline: str  # format: {title} {field} {org} {city}
    summaries: tuple[str, ...]  # format: {field} {topic} {topic2} {years} {org} {city}
    descriptions: tuple[str, ...]  # experience descriptions; format: {topic}
    offers: tuple[str, ...]
    seeks: tuple[str, ...]
    personas: tuple[Persona, ...]
    email_domain: str = ""  # everyone's domain, else the organisation's or a personal one
    personal_domains: tuple[str, ...] = field(default=("example.org",))


def community_for(slug: str, email_domains: list[str] | None = None) -> Community:
    """The demo community of an instance; an unknown slug borrows the association's data.

    When the instance only admits some e-mail domains, every demo address is moved there, so
    the demo members could have registered themselves.
    """
    from maillon.demo import academia, acme, reseau

    known = {c.slug: c for c in (academia.COMMUNITY, acme.COMMUNITY, reseau.COMMUNITY)}
    community = known.get(slug) or replace(reseau.COMMUNITY, slug=slug)
    allowed = [d.lower() for d in email_domains or []]
    if allowed and community.email_domain not in allowed:
        community = replace(community, email_domain=allowed[0])
    if slug not in known or allowed:
        domain = community.email_domain or f"{slug}.example"
        community = replace(community, personas=tuple(
            replace(p, email=f"{p.email.split('@')[0]}@{domain}") for p in community.personas))
    return community
