"""Member lookups (always scoped to an instance), visibility, and profile changes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.tenancy.models import Instance

VISIBLE_STATUSES = ("active",)


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
    return int(session.scalar(select(func.count(Member.id)).where(
        Member.instance_id == instance.id, Member.status == "active")) or 0)


def set_member_locale(session: Session, member: Member, locale: str) -> None:
    member.locale = locale
    session.commit()


def notify_changed(session: Session, member: Member) -> None:
    """Tell other domains (search) in the current transaction that a member changed."""
    member_changed.send(session, member=member)
