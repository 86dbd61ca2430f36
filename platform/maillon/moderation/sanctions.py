"""Sanctions (warn, limit, suspend), their end, and the member's one appeal against each.

Every staff action here starts with ``access_staff`` and writes its audit row into its own
transaction. The member is told why (an in-app notification and an e-mail in their language,
whatever their preferences: see ``moderation.notifications``).

A suspension works through the member's ``status``: login sessions and API tokens are revoked
(and refused for a suspended member anyway), the search index drops them (``member_changed``),
chain finding routes around them (``introductions.routing.unavailable_ids``), and the requests
they hold move on through the timeout path (``introductions.relay.expire_held_by``): the
requester may retry along a chain that avoids them, without learning why. Their own open
requests are blocked with the suspension's reason (``introductions.review.block_requests_of``):
whoever held one is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import begin_read, begin_write, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from maillon.jobs.services import periodic
from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.moderation.lifecycle import (
    APPEAL,
    APPEAL_ACCEPTED,
    APPEAL_OPEN,
    APPEAL_REJECTED,
    EXPIRED,
    IN_FORCE,
    LIFTED,
    SANCTION,
)
from maillon.moderation.models import SANCTION_KINDS, Appeal, Sanction
from maillon.moderation.services import access_for_staff, access_staff, record_audit
from maillon.pagination import MAX_ID
from maillon.tenancy.models import Instance

MAX_REASON = 2000
MIN_REASON = 5
MAX_APPEAL = 3000
#: What the audit log calls imposing each kind.
IMPOSED = {"warn": "member_warned", "limit": "member_limited", "suspend": "member_suspended"}


def _text(value: str, field: str, *, minimum: int, limit: int) -> str:
    text = (value or "").replace("\x00", "").strip()
    if len(text) < minimum:
        raise ValidationFailed({field: _("Write at least %(n)d characters.", n=minimum)})
    if len(text) > limit:
        raise ValidationFailed({field: _("Use at most %(n)d characters.", n=limit)})
    return text


def _in_force(now: datetime) -> object:
    return (Sanction.status == IN_FORCE) & or_(Sanction.until.is_(None), Sanction.until > now)


# ---------------------------------------------------------------------- lookups


def _target(session: Session, instance: Instance, member_id: int) -> Member:
    if not 0 < member_id <= MAX_ID:
        raise NotFound()
    member = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                 Member.id == member_id))
    if member is None or member.status not in ("active", "suspended"):
        raise NotFound()
    return member


def access_moderated_member(session: Session, instance: Instance, staff: Member,
                            member_id: int) -> Member:
    """A member of this instance staff may sanction or look at (active or suspended)."""
    access_staff(instance, staff)
    return _target(session, instance, member_id)


def access_sanction(session: Session, instance: Instance, member: Member,
                    sanction_id: int) -> Sanction:
    """A sanction its member, or staff of the instance, may see; else 404."""
    if member.instance_id != instance.id or not 0 < sanction_id <= MAX_ID:
        raise NotFound()
    query = select(Sanction).where(Sanction.instance_id == instance.id,
                                   Sanction.id == sanction_id)
    if not member.is_moderator:
        query = query.where(Sanction.member_id == member.id)
    sanction = session.scalar(query)
    if sanction is None:
        raise NotFound()
    return sanction


def access_appeal(session: Session, instance: Instance, staff: Member, appeal_id: int) -> Appeal:
    """An appeal of this instance, for its staff; else 404 (403 for a member)."""
    return access_for_staff(session, instance, staff, Appeal, appeal_id)


def find_appeal_of(session: Session, instance: Instance, sanction: Sanction) -> Appeal | None:
    return session.scalar(select(Appeal).where(Appeal.instance_id == instance.id,
                                               Appeal.sanction_id == sanction.id))


def is_limited(session: Session, instance: Instance, member: Member) -> bool:
    """Whether a limit is in force on the member (no new introductions, messages or
    connection requests)."""
    return bool(session.scalar(select(exists().where(
        Sanction.instance_id == instance.id, Sanction.member_id == member.id,
        Sanction.kind == "limit", _in_force(utcnow())))))  # type: ignore[arg-type]


def check_not_limited(session: Session, instance: Instance, member: Member) -> None:
    """Refuse (403 ``account_limited``) a member under a limit."""
    if is_limited(session, instance, member):
        raise Forbidden("account_limited", _(
            "Your account is limited by the moderators: you cannot start introductions, "
            "send messages or ask to connect for now."))


def list_sanctions(session: Session, instance: Instance, staff: Member, *,
                   member_id: int | None = None, status: str | None = None, page: int = 1,
                   per_page: int = 20) -> tuple[int, list[Sanction]]:
    """The instance's sanctions, newest first (staff)."""
    access_staff(instance, staff)
    query = select(Sanction).where(Sanction.instance_id == instance.id)
    if member_id is not None:
        query = query.where(Sanction.member_id == member_id)
    if status is not None:
        query = query.where(Sanction.status == status)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.options(joinedload(Sanction.member))  # shown with its member
                           .order_by(Sanction.id.desc()).limit(per_page)
                           .offset((page - 1) * per_page))
    return total, list(rows)


def list_own_sanctions(session: Session, instance: Instance, member: Member
                       ) -> list[tuple[Sanction, Appeal | None]]:
    """The member's own sanctions with their appeal, newest first."""
    if member.instance_id != instance.id:
        return []
    rows = session.execute(select(Sanction, Appeal).outerjoin(
        Appeal, (Appeal.sanction_id == Sanction.id) & (Appeal.instance_id == instance.id))
        .where(Sanction.instance_id == instance.id, Sanction.member_id == member.id)
        .order_by(Sanction.id.desc()))
    return [(s, a) for s, a in rows]


def list_appeals(session: Session, instance: Instance, staff: Member, *,
                 status: str | None = APPEAL_OPEN, page: int = 1, per_page: int = 20
                 ) -> tuple[int, list[Appeal]]:
    """The appeal queue (staff): open ones first by default, oldest first."""
    access_staff(instance, staff)
    query = select(Appeal).where(Appeal.instance_id == instance.id)
    if status is not None:
        query = query.where(Appeal.status == status)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.options(joinedload(Appeal.member), joinedload(Appeal.sanction))
                           .order_by(Appeal.id).limit(per_page).offset((page - 1) * per_page))
    return total, list(rows)


# ---------------------------------------------------------------------- imposing


def _may_sanction(staff: Member, member: Member) -> None:
    if member.id == staff.id:
        raise ServiceError("cannot_sanction_self", _("You cannot sanction yourself."),
                           status=422, fields={"member_id": "yourself"})
    # Staff answer to those above them: a moderator sanctions members, an admin moderators too.
    if member.is_admin or (member.is_moderator and not staff.is_admin):
        raise Forbidden("cannot_sanction_staff", _(
            "Only an administrator can sanction a moderator, and nobody here an administrator."))


def impose_sanction(session: Session, instance: Instance, staff: Member, member_id: int,
                    kind: str, *, reason: str, until: datetime | None = None,
                    ip: str = "") -> Sanction:
    """Warn, limit or suspend a member (staff), tell them why, and audit it.

    A new limit or suspension replaces the one in force (which is lifted)."""
    access_staff(instance, staff)
    begin_write(session)
    sanction = add_sanction(session, instance, staff, member_id, kind, reason=reason,
                            until=until, ip=ip)
    session.commit()
    return sanction


def add_sanction(session: Session, instance: Instance, staff: Member, member_id: int,
                 kind: str, *, reason: str, until: datetime | None = None, ip: str = "",
                 **audit_data: Any) -> Sanction:
    """``impose_sanction`` inside the caller's write transaction (no commit), so a decision
    on a report and the sanction it imposes commit together."""
    from maillon.accounts.services import end_all_sessions
    from maillon.introductions.relay import expire_held_by
    from maillon.introductions.review import block_requests_of
    from maillon.moderation.notifications import tell_sanctioned

    access_staff(instance, staff)
    if kind not in SANCTION_KINDS:
        raise ValidationFailed({"kind": _("Choose warn, limit or suspend.")})
    reason = _text(reason, "reason", minimum=MIN_REASON, limit=MAX_REASON)
    now = utcnow()
    if until is not None and (until.tzinfo is None or until <= now):
        raise ValidationFailed({"until": _("Give a moment in the future.")})
    if kind == "warn":
        until = None
    member = _target(session, instance, member_id)
    _may_sanction(staff, member)
    for previous in session.scalars(select(Sanction).where(
            Sanction.instance_id == instance.id, Sanction.member_id == member.id,
            Sanction.kind == kind, Sanction.status == IN_FORCE)):
        if kind != "warn":
            SANCTION.apply(previous, LIFTED)
            previous.ended_at = now
    sanction = Sanction(instance_id=instance.id, member_id=member.id, kind=kind,
                        status=IN_FORCE, reason=reason, until=until, created_by_id=staff.id,
                        created_at=now)
    session.add(sanction)
    session.flush()
    if kind == "suspend":
        member.status = "suspended"
        member.suspended_until = until
        member.suspension_reason = reason
        end_all_sessions(session, member)
        member_changed.send(session, member=member)  # the index drops them
        expire_held_by(session, instance, member, now=now)
        # Their own requests stop too: relays and targets owe nothing to a suspended member.
        closed = block_requests_of(session, instance, staff, member, reason=reason)
        if closed:
            audit_data["closed_introductions"] = closed
    record_audit(session, instance, staff, IMPOSED[kind], subject=member, reason=reason,
                 ip=ip, sanction_id=sanction.id,
                 until=until.isoformat() if until else None, **audit_data)
    tell_sanctioned(session, instance, member, sanction)
    return sanction


def _end(session: Session, instance: Instance, sanction: Sanction, status: str,
         now: datetime) -> None:
    """End a sanction; a suspension gives the member their account back (unless another one
    is still in force)."""
    SANCTION.apply(sanction, status)
    sanction.ended_at = now
    if sanction.kind != "suspend":
        return
    member = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                 Member.id == sanction.member_id))
    other = session.scalar(select(Sanction.id).where(
        Sanction.instance_id == instance.id, Sanction.member_id == sanction.member_id,
        Sanction.kind == "suspend", Sanction.id != sanction.id,
        _in_force(now)).limit(1))  # type: ignore[arg-type]
    if member is not None and member.status == "suspended" and other is None:
        member.status = "active"
        member.suspended_until = None
        member.suspension_reason = None
        member_changed.send(session, member=member)  # back in search


def lift_sanction(session: Session, instance: Instance, staff: Member, sanction_id: int, *,
                  reason: str, ip: str = "") -> Sanction:
    """End a sanction in force (staff): unsuspend, unlimit, withdraw a warning; audited."""
    from maillon.moderation.notifications import tell_lifted

    access_staff(instance, staff)
    reason = _text(reason, "reason", minimum=MIN_REASON, limit=MAX_REASON)
    begin_write(session)
    sanction = access_sanction(session, instance, staff, sanction_id)
    if sanction.status != IN_FORCE:
        raise Conflict("sanction_not_active", _("This sanction is no longer in force."))
    _end(session, instance, sanction, LIFTED, utcnow())
    record_audit(session, instance, staff, "sanction_lifted", subject=sanction.member,
                 reason=reason, ip=ip, sanction_id=sanction.id, kind=sanction.kind)
    tell_lifted(session, instance, sanction.member, sanction)
    session.commit()
    return sanction


def lift_member_sanctions(session: Session, instance: Instance, staff: Member, member_id: int,
                          kind: str, *, reason: str, ip: str = "") -> list[Sanction]:
    """End every ``kind`` sanction in force on a member (``/unsuspend``); audited each."""
    access_staff(instance, staff)
    member = _target(session, instance, member_id)
    ids = list(session.scalars(select(Sanction.id).where(
        Sanction.instance_id == instance.id, Sanction.member_id == member.id,
        Sanction.kind == kind, Sanction.status == IN_FORCE).order_by(Sanction.id)))
    if not ids:
        raise Conflict("sanction_not_active", _("No such sanction is in force."))
    return [lift_sanction(session, instance, staff, i, reason=reason, ip=ip) for i in ids]


def lift_expired_sanctions(session: Session, now: datetime | None = None) -> int:
    """Mark every sanction past its end date expired (all instances); audited without an
    actor. Run by the worker every minute and for one member at login."""
    from maillon.notifications.services import instance_of

    now = now or utcnow()
    query = select(Sanction).where(Sanction.status == IN_FORCE, Sanction.until.is_not(None),
                                   Sanction.until <= now).order_by(Sanction.id).limit(500)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    done = 0
    for sanction in session.scalars(query.execution_options(populate_existing=True)).all():
        instance = instance_of(session, sanction.instance_id)
        _end(session, instance, sanction, EXPIRED, now)
        record_audit(session, instance, None, "sanction_expired", subject=sanction.member,
                     sanction_id=sanction.id, kind=sanction.kind)
        done += 1
    session.commit()
    return done


def lift_expired_for(session: Session, instance: Instance, member: Member) -> bool:
    """At login: end the member's suspension if its date has passed. True if it did."""
    now = utcnow()
    if member.status != "suspended" or member.suspended_until is None \
            or member.suspended_until > now:
        return False
    begin_write(session)
    for sanction in session.scalars(select(Sanction).where(
            Sanction.instance_id == instance.id, Sanction.member_id == member.id,
            Sanction.status == IN_FORCE, Sanction.until.is_not(None), Sanction.until <= now)):
        _end(session, instance, sanction, EXPIRED, now)
        record_audit(session, instance, None, "sanction_expired", subject=member,
                     sanction_id=sanction.id, kind=sanction.kind)
    if member.status == "suspended" and (member.suspended_until or now) <= now:
        member.status = "active"  # a suspension with no sanction row (set by hand)
        member.suspended_until = None
        member.suspension_reason = None
        member_changed.send(session, member=member)
    session.commit()
    begin_read(session)
    return member.status == "active"


@periodic("lift_expired_sanctions", every_seconds=60)
def _lift_expired(session: Session) -> None:
    lift_expired_sanctions(session)


# ---------------------------------------------------------------------- appeals


@dataclass(frozen=True)
class SuspensionNotice:
    """What a suspended member sees at login: why, until when, and their appeal."""

    sanction: Sanction
    appeal: Appeal | None


def suspension_notice(session: Session, instance: Instance, member_id: int
                      ) -> SuspensionNotice | None:
    """The suspension in force on a member who proved their password, or None."""
    if not 0 < member_id <= MAX_ID:
        return None
    sanction = session.scalar(select(Sanction).join(Member, Member.id == Sanction.member_id)
                              .where(Sanction.instance_id == instance.id,
                                     Sanction.member_id == member_id,
                                     Sanction.kind == "suspend", Member.status == "suspended",
                                     _in_force(utcnow()))  # type: ignore[arg-type]
                              .order_by(Sanction.id.desc()).limit(1))
    if sanction is None:
        return None
    return SuspensionNotice(sanction, find_appeal_of(session, instance, sanction))


def appeal_sanction(session: Session, instance: Instance, member: Member, sanction_id: int,
                    text: str) -> Appeal:
    """The member appeals against their sanction, once (409 ``already_appealed``)."""
    text = _text(text, "text", minimum=10, limit=MAX_APPEAL)
    begin_write(session)
    if member.instance_id != instance.id or not 0 < sanction_id <= MAX_ID:
        raise NotFound()
    sanction = session.scalar(select(Sanction).where(
        Sanction.instance_id == instance.id, Sanction.id == sanction_id,
        Sanction.member_id == member.id))
    if sanction is None:
        raise NotFound()
    if find_appeal_of(session, instance, sanction) is not None:
        raise Conflict("already_appealed", _("You have already appealed against this "
                                             "sanction."))
    if sanction.status != IN_FORCE:
        raise Conflict("sanction_not_active", _("This sanction is no longer in force."))
    appeal = Appeal(instance_id=instance.id, sanction_id=sanction.id, member_id=member.id,
                    text=text, status=APPEAL_OPEN)
    session.add(appeal)
    session.commit()
    return appeal


def decide_appeal(session: Session, instance: Instance, staff: Member, appeal_id: int, *,
                  accept: bool, response: str, ip: str = "") -> Appeal:
    """Accept (the sanction is lifted) or reject (it stays) an appeal; the member is told."""
    from maillon.moderation.notifications import tell_appeal_decided

    response = _text(response, "response", minimum=MIN_REASON, limit=MAX_REASON)
    begin_write(session)
    appeal = access_appeal(session, instance, staff, appeal_id)
    if appeal.member_id == staff.id:
        raise Forbidden("cannot_decide_own_appeal", _("Someone else must decide your appeal."))
    if appeal.status != APPEAL_OPEN:
        raise Conflict("appeal_decided", _("This appeal has already been decided."))
    now = utcnow()
    APPEAL.apply(appeal, APPEAL_ACCEPTED if accept else APPEAL_REJECTED)
    appeal.decided_at, appeal.decided_by_id, appeal.response = now, staff.id, response
    if accept and appeal.sanction.status == IN_FORCE:
        _end(session, instance, appeal.sanction, LIFTED, now)
    record_audit(session, instance, staff, "appeal_accepted" if accept else "appeal_rejected",
                 subject=appeal.member, reason=response, ip=ip, appeal_id=appeal.id,
                 sanction_id=appeal.sanction_id)
    tell_appeal_decided(session, instance, appeal.member, appeal)
    session.commit()
    return appeal
