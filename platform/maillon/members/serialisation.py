"""Profiles as others receive them: JSON dicts for the API, plain cards for list pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, url_for
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, object_session, selectinload

from maillon.db import run_built
from maillon.members.models import (
    Education,
    Experience,
    Member,
    default_contact_policy,
    default_visibility,
)


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
    collections when a list has read them for many members at once. Without them, collections
    the member has not loaded are read as plain rows (``sections``), not lazy-loaded."""
    if experiences is None or education is None:
        unloaded = inspect(member).unloaded
        session = object_session(member)
        if session is not None and {"experiences", "education"} <= unloaded:
            found = sections(session, member.instance_id, [member.id])
            experiences = found[0].get(member.id, []) if experiences is None else experiences
            education = found[1].get(member.id, []) if education is None else education
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


_EXPERIENCES = Experience.__table__
_EDUCATION = Education.__table__
# Built once, run on the session's connection (``run_built``): plain rows without the ORM's
# per-statement work. The instance is an explicit parameter: the tenant net does not apply.
_EXPERIENCE_ROWS = select(
    _EXPERIENCES.c.member_id, _EXPERIENCES.c.id, _EXPERIENCES.c.title,
    _EXPERIENCES.c.organisation, _EXPERIENCES.c.location, _EXPERIENCES.c.start_date,
    _EXPERIENCES.c.end_date, _EXPERIENCES.c.description).where(
    _EXPERIENCES.c.instance_id == bindparam("instance_id"),
    _EXPERIENCES.c.member_id.in_(bindparam("ids", expanding=True))).order_by(
    _EXPERIENCES.c.end_date.is_(None).desc(), _EXPERIENCES.c.start_date.desc(),
    _EXPERIENCES.c.id)
_EDUCATION_ROWS = select(
    _EDUCATION.c.member_id, _EDUCATION.c.id, _EDUCATION.c.school, _EDUCATION.c.degree,
    _EDUCATION.c.field, _EDUCATION.c.start_year, _EDUCATION.c.end_year).where(
    _EDUCATION.c.instance_id == bindparam("instance_id"),
    _EDUCATION.c.member_id.in_(bindparam("ids", expanding=True))).order_by(
    _EDUCATION.c.start_year.desc(), _EDUCATION.c.id)


def sections(session: Session, instance_id: int, ids: list[int]
             ) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    """The experiences and the education of these members of one instance, as plain rows
    (attribute names as the models'), by member, in the profile's order: two statements."""
    params = {"instance_id": instance_id, "ids": ids}
    experiences: dict[int, list[Any]] = {}
    for row in run_built(session, _EXPERIENCE_ROWS, params):
        experiences.setdefault(row.member_id, []).append(row)
    education: dict[int, list[Any]] = {}
    for school in run_built(session, _EDUCATION_ROWS, params):
        education.setdefault(school.member_id, []).append(school)
    return experiences, education


def profile_dicts(session: Session, members: list[Member], viewer: Member | None
                  ) -> list[dict[str, Any]]:
    """``profile_dict`` of each member, in two queries whatever their number.

    The experiences and education are read as plain rows, not as mapped objects: a page of
    twenty profiles would otherwise build a hundred ORM objects for a JSON answer."""
    if not members:
        return []
    experiences, education = sections(session, members[0].instance_id, [m.id for m in members])
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
