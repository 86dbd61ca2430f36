"""Profiles as others receive them: JSON dicts for the API, plain cards for list pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, url_for
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

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
