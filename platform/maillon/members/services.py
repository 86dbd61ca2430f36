"""Member lookups, always scoped to an instance, and who may see whom.

The rest of the domain: ``profiles`` (editing), ``validation`` (the rules of a profile's
values), ``experiences`` (experiences and education), ``serialisation`` (dicts and cards),
``photo_store`` (the photo files).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, true
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import run_built
from maillon.members.models import Member
from maillon.tenancy.models import Instance

VISIBLE_STATUSES = ("active",)


# Built once: building the statement cost about as much as running it (profile, paths).
_MEMBER_BY_ID = select(Member).where(Member.instance_id == bindparam("instance_id"),
                                     Member.id == bindparam("member_id"))


def find_member(session: Session, instance: Instance, member_id: int) -> Member | None:
    """A member of this instance by id, whatever their status; None if absent or foreign."""
    return session.scalar(_MEMBER_BY_ID, {"instance_id": instance.id, "member_id": member_id})


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
    return int(run_built(session, _COUNT_LISTED, {"instance_id": instance.id}).scalar() or 0)


def _listed(instance: Instance | None) -> tuple[Any, ...]:
    """Who the directory lists, and so who any member count counts: active members who did
    not take their profile out of it (None: the instance is the ``instance_id`` parameter)."""
    in_directory = func.coalesce(Member.visibility["in_directory"].as_boolean(), true())
    instance_id: Any = bindparam("instance_id") if instance is None else instance.id
    return (Member.instance_id == instance_id, Member.status.in_(VISIBLE_STATUSES),
            in_directory.is_(true()))


# Built once: the logged-out home page's only statement (run_built: no ORM layer).
_COUNT_LISTED = select(func.count(Member.id)).where(*_listed(None))


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
