"""Staff review of introduction requests: a member's first requests held until a moderator
approves them, a moderator's block of a request still open, with a reason the requester reads,
and the queue of what waits for review: held requests, requests members reported, and alerts
computed over the last 24 hours (decision 36).

A held request has its chain planned but nobody holds it: approving it sends it along that
chain exactly as ``request_introduction`` would have (around any relay who stopped relaying in
the meantime). Blocking ends it for good: the relay or target holding it is released, the
requester told why. Both are staff actions (``access_staff``), audited in their own
transaction, and a repeated click returns the request as the first one left it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from maillon.db import utcnow
from maillon.errors import Conflict
from maillon.introductions.lifecycle import (
    BLOCKED,
    DELIVERED,
    HELD,
    HOLDING,
    HOP,
    IN_PROGRESS,
    INTRODUCTION,
    OPEN_STATUSES,
    RELEASED_HOP,
)
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.introductions.records import (
    access_introduction,
    current_hop_row,
    members_by_id,
    record_event,
    start_attempt,
)
from maillon.introductions.routing import check_target_policy, unavailable_ids
from maillon.introductions.signals import introduction_blocked, introduction_released
from maillon.introductions.validation import BlockReason
from maillon.members.models import Member
from maillon.moderation.lifecycle import REPORT
from maillon.moderation.models import Report
from maillon.moderation.services import access_staff, record_audit
from maillon.tenancy.models import Instance
from maillon.validation import check

__all__ = ["ALERT_WINDOW", "DECLINES", "FAN_OUT_TARGETS", "RELAY_LOAD", "Alert", "Queue",
           "approve_introduction", "block_introduction", "held_for_review", "relay_alerts",
           "review_queue", "review_trail", "under_review"]

#: The alerts look back this far.
ALERT_WINDOW = timedelta(hours=24)
#: One requester asking to meet this many different members within the window.
FAN_OUT_TARGETS = 10
#: One relay handed this many requests within the window.
RELAY_LOAD = 15
#: This many declines on one requester's requests within the window.
DECLINES = 5
#: Each list of the queue shows at most so many rows (oldest first for held requests).
QUEUE_LIMIT = 100
_OPEN_REPORT = REPORT.state("open")


def held_for_review(session: Session, instance: Instance, requester: Member) -> bool:
    """Whether a new request of ``requester`` waits for a moderator: it is among their first
    ``introductions.review_first_requests`` requests (every request they ever made counts,
    whatever became of it). Staff's own requests are never held."""
    first = int(instance.setting("introductions.review_first_requests"))
    if first <= 0 or requester.is_moderator:
        return False
    made = int(session.scalar(select(func.count(Introduction.id)).where(
        Introduction.instance_id == instance.id,
        Introduction.requester_id == requester.id)) or 0)
    return made < first


def _replayed(session: Session, intro: Introduction) -> Introduction:
    session.commit()  # ends the locking transaction
    return intro


def _did(session: Session, intro: Introduction, kind: str) -> bool:
    return session.scalar(select(IntroductionEvent.id).where(
        IntroductionEvent.introduction_id == intro.id,
        IntroductionEvent.kind == kind).limit(1)) is not None


def approve_introduction(session: Session, instance: Instance, actor: Member, intro_id: int,
                         *, ip: str = "") -> Introduction:
    """A moderator lets a held request travel: its first relay (or the target) gets it."""
    access_staff(instance, actor)
    intro = access_introduction(session, instance, actor, intro_id, lock=True)
    if intro.status != HELD:
        if _did(session, intro, "approved"):
            return _replayed(session, intro)  # a repeated click
        raise Conflict("not_held", _("This request is not waiting for review."))
    requester = intro.requester
    # The target may have closed their door while it waited: it stays held (staff block it).
    if intro.target is not None:
        check_target_policy(intro.target, intro.purpose)
    path = list(intro.path)
    if set(path[1:-1]) & unavailable_ids(session, instance):
        # A relay of the planned chain stopped relaying while it waited: the best chain now.
        from maillon.introductions.relay import plan_again

        path = plan_again(session, instance, intro, requester)
    record_event(session, intro, "approved", actor, position=0)
    record_audit(session, instance, actor, "introduction_approved", subject=requester,
                 subject_type="introduction", subject_id=intro.id, ip=ip)
    start_attempt(session, instance, intro, requester, path)
    session.commit()
    return intro


def block_introduction(session: Session, instance: Instance, actor: Member, intro_id: int,
                       *, reason: str, ip: str = "") -> Introduction:
    """A moderator stops a request for good (held, travelling or waiting for the target's
    answer). The requester is told why; whoever held it is released, told only that nothing
    more is asked of them."""
    access_staff(instance, actor)
    reason = check(BlockReason, {"reason": reason}).reason
    intro = access_introduction(session, instance, actor, intro_id, lock=True)
    if intro.status == BLOCKED:
        return _replayed(session, intro)
    if not INTRODUCTION.allows(intro.status, BLOCKED):
        raise Conflict("already_closed", _("This request is already closed."))
    held_by = _stop(session, intro, actor, reason=reason, now=utcnow())
    record_audit(session, instance, actor, "introduction_blocked", subject=intro.requester,
                 subject_type="introduction", subject_id=intro.id, reason=reason, ip=ip)
    introduction_blocked.send(session, introduction=intro, actor=None,
                              recipients=[intro.requester], reason=reason)
    _release(session, instance, intro, held_by)
    session.commit()
    return intro


def block_requests_of(session: Session, instance: Instance, actor: Member, requester: Member,
                      *, reason: str) -> list[int]:
    """Every open request of a member just suspended stops, in the caller's transaction (no
    commit): nobody is asked to relay or answer for someone who can no longer read the answer,
    and whoever held one is released. The requester reads why with their suspension (the
    block's reason is the suspension's), so no separate notice; the ids are returned for the
    suspension's audit row."""
    intros = session.scalars(select(Introduction).where(
        Introduction.instance_id == instance.id, Introduction.requester_id == requester.id,
        Introduction.status.in_(OPEN_STATUSES)).order_by(Introduction.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    now = utcnow()
    for intro in intros:
        held_by = _stop(session, intro, actor, reason=reason, now=now)
        _release(session, instance, intro, held_by)
    return [intro.id for intro in intros]


def _stop(session: Session, intro: Introduction, actor: Member, *, reason: str,
          now: datetime) -> int | None:
    """Block ``intro`` (an open request): the turn of whoever held it ends without blame and
    the trail records it. Returns who held it, to be told they are released, if anyone."""
    held_by = intro.holder_id if intro.status in (IN_PROGRESS, DELIVERED) else None
    if intro.status == IN_PROGRESS:
        hop = current_hop_row(session, intro)
        if hop is not None and hop.status == HOLDING:
            HOP.apply(hop, RELEASED_HOP)
            hop.acted_at = now
    position = 0 if intro.status == HELD else intro.current_hop
    INTRODUCTION.apply(intro, BLOCKED)
    intro.holder_id, intro.hop_deadline, intro.closed_at = None, None, now
    record_event(session, intro, "blocked", actor, position=position, reason=reason)
    return held_by if held_by != intro.requester_id else None


def _release(session: Session, instance: Instance, intro: Introduction,
             held_by: int | None) -> None:
    if held_by is not None:
        holder = members_by_id(session, instance, [held_by]).get(held_by)
        if holder is not None:
            introduction_released.send(session, introduction=intro, actor=None,
                                       recipients=[holder])


# ---------------------------------------------------------------------- the review queue


@dataclass(frozen=True)
class Alert:
    """A rule that fired over the last ``ALERT_WINDOW``: ``fan_out`` (``member`` asked to meet
    ``count`` different members), ``relay_load`` (``member`` was handed ``count`` requests) or
    ``declines`` (``count`` declines on ``member``'s requests); with the requests concerned."""

    kind: str
    member: Member
    count: int
    introduction_ids: tuple[int, ...]


@dataclass(frozen=True)
class Queue:
    held: list[Introduction]  # oldest first
    reported: list[tuple[Introduction, int]]  # with its number of open reports, newest first
    alerts: list[Alert]


def _alert_rows(session: Session, instance: Instance, now: datetime
                ) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """``(kind, member id, count, request ids)`` of every rule that fires: three grouped
    queries, then one per alert for its requests (a handful at most)."""
    since = now - ALERT_WINDOW
    scope = Introduction.instance_id == instance.id
    made = (scope, Introduction.created_at >= since)
    fired: list[tuple[str, int, int, tuple[int, ...]]] = []
    for member_id, count in session.execute(
            select(Introduction.requester_id, func.count(func.distinct(Introduction.target_id)))
            .where(*made).group_by(Introduction.requester_id)
            .having(func.count(func.distinct(Introduction.target_id)) >= FAN_OUT_TARGETS)):
        ids = session.scalars(select(Introduction.id).where(
            *made, Introduction.requester_id == member_id).order_by(Introduction.id))
        fired.append(("fan_out", member_id, int(count), tuple(ids)))
    handed = (IntroductionHop.instance_id == instance.id, IntroductionHop.created_at >= since)
    for member_id, count in session.execute(
            select(IntroductionHop.member_id, func.count(IntroductionHop.id)).where(*handed)
            .group_by(IntroductionHop.member_id)
            .having(func.count(IntroductionHop.id) >= RELAY_LOAD)):
        ids = session.scalars(select(IntroductionHop.introduction_id).where(
            *handed, IntroductionHop.member_id == member_id).distinct()
            .order_by(IntroductionHop.introduction_id))
        fired.append(("relay_load", member_id, int(count), tuple(ids)))
    declined = (IntroductionEvent.instance_id == instance.id,
                IntroductionEvent.kind == "declined", IntroductionEvent.created_at >= since)
    joined = select(Introduction.requester_id, func.count(IntroductionEvent.id)).join(
        Introduction, Introduction.id == IntroductionEvent.introduction_id)
    for member_id, count in session.execute(
            joined.where(*declined, scope).group_by(Introduction.requester_id)
            .having(func.count(IntroductionEvent.id) >= DECLINES)):
        ids = session.scalars(select(IntroductionEvent.introduction_id).join(
            Introduction, Introduction.id == IntroductionEvent.introduction_id).where(
            *declined, scope, Introduction.requester_id == member_id).distinct()
            .order_by(IntroductionEvent.introduction_id))
        fired.append(("declines", member_id, int(count), tuple(ids)))
    return fired


def relay_alerts(session: Session, instance: Instance, actor: Member, *,
                 now: datetime | None = None) -> list[Alert]:
    """The alerts of the last 24 hours (staff)."""
    access_staff(instance, actor)
    rows = _alert_rows(session, instance, now or utcnow())
    people = members_by_id(session, instance, [member_id for _k, member_id, _c, _i in rows])
    return [Alert(kind, people[member_id], count, ids) for kind, member_id, count, ids in rows
            if member_id in people]


def _reported_counts(session: Session, instance: Instance,
                     ids: Iterable[int] | None = None) -> dict[int, int]:
    """Requests with open reports (that staff did not choose to ignore), and how many."""
    query = select(Report.subject_id, func.count(Report.id)).where(
        Report.instance_id == instance.id, Report.subject_type == "introduction",
        Report.status == _OPEN_REPORT, Report.ignored.is_(False))
    if ids is not None:
        query = query.where(Report.subject_id.in_(list(ids)))
    return {int(i): int(n) for i, n in session.execute(query.group_by(Report.subject_id))}


def review_queue(session: Session, instance: Instance, actor: Member, *,
                 now: datetime | None = None) -> Queue:
    """What waits for staff: held requests, reported requests and the alerts (staff)."""
    alerts = relay_alerts(session, instance, actor, now=now)
    # Both ends read with the rows, not one by one in the template.
    ends = (selectinload(Introduction.requester), selectinload(Introduction.target),
            selectinload(Introduction.remote_target))
    held = list(session.scalars(select(Introduction).where(
        Introduction.instance_id == instance.id, Introduction.status == HELD).options(*ends)
        .order_by(Introduction.created_at, Introduction.id).limit(QUEUE_LIMIT)))
    counts = _reported_counts(session, instance)
    reported = list(session.scalars(select(Introduction).where(
        Introduction.instance_id == instance.id, Introduction.id.in_(list(counts)))
        .options(*ends).order_by(Introduction.created_at.desc(), Introduction.id.desc())
        .limit(QUEUE_LIMIT)))
    return Queue(held, [(intro, counts[intro.id]) for intro in reported], alerts)


def under_review(session: Session, instance: Instance, intros: list[Introduction], *,
                 now: datetime | None = None) -> dict[int, list[str]]:
    """Why each of these requests is under review, by id (absent: it is not): ``held``,
    ``reported`` (an open report on it) or an alert's kind. Staff read a request's private
    texts only then (``views_data``)."""
    if not intros:
        return {}
    why: dict[int, list[str]] = {i.id: ["held"] for i in intros if i.status == HELD}
    for intro_id in _reported_counts(session, instance, [i.id for i in intros]):
        why.setdefault(intro_id, []).append("reported")
    wanted = {i.id for i in intros}
    for kind, _member, _count, ids in _alert_rows(session, instance, now or utcnow()):
        for intro_id in wanted.intersection(ids):
            if kind not in why.setdefault(intro_id, []):
                why[intro_id].append(kind)
    return why


def review_trail(session: Session, instance: Instance, actor: Member, intro_id: int
                 ) -> tuple[Introduction, list[IntroductionHop]]:
    """A request and every relay's turn of every attempt, in order: who held it, when it
    reached them, what they did and when (staff). The texts are ``views_data``'s to give."""
    access_staff(instance, actor)
    intro = access_introduction(session, instance, actor, intro_id)
    hops = list(session.scalars(select(IntroductionHop).where(
        IntroductionHop.instance_id == instance.id, IntroductionHop.introduction_id == intro.id)
        .options(selectinload(IntroductionHop.member))
        .order_by(IntroductionHop.attempt, IntroductionHop.position)))
    return intro, hops
