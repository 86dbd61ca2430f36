"""What every introduction action shares: access, the row lock, hops and the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import utcnow
from maillon.errors import Forbidden
from maillon.introductions.lifecycle import (
    DELIVERED,
    HOLDING,
    IN_PROGRESS,
    INTRODUCTION,
    OPEN_STATUSES,
)
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.members.models import Member
from maillon.tenancy.models import Instance

#: The largest id a database integer holds: any larger one in a URL names nothing.
MAX_ID = 2**63 - 1
# Control characters break rendering, and PostgreSQL refuses NUL in text: they are dropped.


def _visible_to(member: Member) -> Any:
    """Who may open a request: its requester, anyone who held it, its target once delivered."""
    held = exists().where(IntroductionHop.introduction_id == Introduction.id,
                          IntroductionHop.member_id == member.id)
    return or_(Introduction.requester_id == member.id, held,
               (Introduction.target_id == member.id) & Introduction.delivered_at.is_not(None))



def takes_part(member: Member) -> Any:
    """The condition "``member`` takes part in the request" (requester, a holder, or the
    target once delivered), for queries in other domains (reports)."""
    return _visible_to(member)


def access_introduction(session: Session, instance: Instance, member: Member, intro_id: int,
                        *, lock: bool = False) -> Introduction:
    """A request the member may see (moderators see all of their instance's); else 404.

    With ``lock`` the row is locked for the rest of the transaction (PostgreSQL; SQLite already
    serialises writers) and re-read from the database, so an action decides on fresh state.
    """
    query = select(Introduction).where(Introduction.instance_id == instance.id,
                                       Introduction.id == intro_id)
    if member.instance_id != instance.id or not 0 < intro_id <= MAX_ID:
        raise NotFound()
    if not member.is_moderator:
        query = query.where(_visible_to(member))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    intro = session.scalar(query)
    if intro is None:
        raise NotFound()
    return intro


def record_event(session: Session, intro: Introduction, kind: str, actor: Member | None, *,
                 position: int | None = None, **data: Any) -> IntroductionEvent:
    event = IntroductionEvent(instance_id=intro.instance_id, introduction_id=intro.id,
                              attempt=intro.attempt, actor_id=actor.id if actor else None,
                              kind=kind, position=position, data=data)
    session.add(event)
    return event


def hop_deadline(instance: Instance, now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(days=int(instance.setting(
        "introductions.hop_deadline_days")))


def current_hop_row(session: Session, intro: Introduction) -> IntroductionHop | None:
    return session.scalar(select(IntroductionHop).where(
        IntroductionHop.introduction_id == intro.id, IntroductionHop.attempt == intro.attempt,
        IntroductionHop.position == intro.current_hop).execution_options(
        populate_existing=True))


def hand_to(session: Session, instance: Instance, intro: Introduction, position: int, *,
            note: str = "") -> IntroductionHop | None:
    """Give the request to whoever is at ``position`` of the path: a relay gets a hop row and
    a deadline; the target gets it delivered. Returns the new hop (None when delivered)."""
    now = utcnow()
    intro.current_hop = position
    intro.holder_id = intro.path[position]
    if position == intro.hops:
        INTRODUCTION.apply(intro, DELIVERED)
        intro.delivered_at = now
        intro.hop_deadline = None
        return None
    INTRODUCTION.apply(intro, IN_PROGRESS)
    intro.hop_deadline = hop_deadline(instance, now)
    hop = IntroductionHop(instance_id=intro.instance_id, introduction_id=intro.id,
                          attempt=intro.attempt, position=position, member_id=intro.holder_id,
                          status=HOLDING, note_from_previous=note,
                          deadline=intro.hop_deadline, created_at=now)
    session.add(hop)
    return hop


def hops_of(session: Session, intro: Introduction, attempt: int | None = None
            ) -> list[IntroductionHop]:
    query = select(IntroductionHop).where(IntroductionHop.introduction_id == intro.id)
    if attempt is not None:
        query = query.where(IntroductionHop.attempt == attempt)
    return list(session.scalars(query.order_by(IntroductionHop.attempt,
                                               IntroductionHop.position)))


def chain_members(session: Session, intro: Introduction) -> list[Member]:
    """The relays who held the current attempt, in order."""
    return [hop.member for hop in hops_of(session, intro, intro.attempt)]


def count_pending_introductions(session: Session, instance: Instance, member: Member) -> int:
    """Requests of the member still travelling or waiting for their target (the quota)."""
    return int(session.scalar(select(func.count(Introduction.id)).where(
        Introduction.instance_id == instance.id, Introduction.requester_id == member.id,
        Introduction.status.in_(OPEN_STATUSES))) or 0)


def count_waiting_for(session: Session, instance: Instance, member: Member) -> int:
    """Requests waiting for the member's action, who holds them now (the navigation badge)."""
    return int(session.scalar(select(func.count(Introduction.id)).where(
        Introduction.instance_id == instance.id, Introduction.holder_id == member.id,
        Introduction.status.in_(OPEN_STATUSES))) or 0)


def check_quota(session: Session, instance: Instance, member: Member) -> None:
    quota = int(instance.setting("quotas.pending_introductions"))
    if count_pending_introductions(session, instance, member) >= quota:
        raise Forbidden("quota_exceeded", _(
            "You have %(n)d introduction requests in progress: wait for some of them first.",
            n=quota))


def members_by_id(session: Session, instance: Instance, ids: list[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(set(ids))))}


def start_attempt(session: Session, instance: Instance, intro: Introduction, actor: Member,
                  path: list[int]) -> None:
    """Send the request along ``path``: to its first relay, or straight to the target."""
    from maillon.introductions.signals import introduction_delivered, introduction_requested

    intro.path, intro.hops = path, len(path) - 1
    intro.closed_at = None
    if path[1] < 0:  # the requester's own contact over there carries it on (decision 61)
        from maillon.introductions.crossing import hand_across

        hand_across(session, instance, intro, intro.requester, "")
        return
    hop = hand_to(session, instance, intro, 1)
    session.flush()
    people = members_by_id(session, instance, [m for m in (intro.path[1], intro.target_id)
                                               if m is not None])
    introduction_requested.send(session, introduction=intro, actor=actor,
                                recipients=[people[hop.member_id]] if hop else [])
    if hop is None and intro.target_id is not None:
        record_event(session, intro, "delivered", None, position=intro.hops)
        introduction_delivered.send(session, introduction=intro, actor=actor,
                                    recipients=[people[intro.target_id]])
