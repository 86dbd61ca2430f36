"""Staff review of introduction requests: a member's first requests held until a moderator
approves them, and a moderator's block of a request still open, with a reason the requester
reads (decision 36).

A held request has its chain planned but nobody holds it: approving it sends it along that
chain exactly as ``request_introduction`` would have (around any relay who stopped relaying in
the meantime). Blocking ends it for good: the relay or target holding it is released, the
requester told why. Both are staff actions (``access_staff``), audited in their own
transaction, and a repeated click returns the request as the first one left it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    RELEASED_HOP,
)
from maillon.introductions.models import Introduction, IntroductionEvent
from maillon.introductions.records import (
    access_introduction,
    current_hop_row,
    members_by_id,
    record_event,
    start_attempt,
)
from maillon.introductions.routing import plan_path, unavailable_ids
from maillon.introductions.signals import introduction_blocked, introduction_released
from maillon.introductions.validation import BlockReason
from maillon.members.models import Member
from maillon.moderation.services import access_staff, record_audit
from maillon.tenancy.models import Instance
from maillon.validation import check

__all__ = ["approve_introduction", "block_introduction", "held_for_review"]


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
    path = list(intro.path)
    if set(path[1:-1]) & unavailable_ids(session, instance):
        # A relay of the planned chain stopped relaying while it waited: the best chain now.
        path = plan_path(session, instance, requester, intro.target, avoid=intro.avoid)
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
    now = utcnow()
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
    record_audit(session, instance, actor, "introduction_blocked", subject=intro.requester,
                 subject_type="introduction", subject_id=intro.id, reason=reason, ip=ip)
    introduction_blocked.send(session, introduction=intro, actor=None,
                              recipients=[intro.requester], reason=reason)
    if held_by is not None and held_by != intro.requester_id:
        holder = members_by_id(session, instance, [held_by]).get(held_by)
        if holder is not None:
            introduction_released.send(session, introduction=intro, actor=None,
                                       recipients=[holder])
    session.commit()
    return intro
