"""Introductions: asking to be introduced along a chain of trusted contacts, and direct contact.

The request itself lives here; what each relay and the target do with it is in ``relay``, what
each participant may see in ``views_data``, chain choice in ``routing`` and the instance's
numbers in ``stats``. All of it is re-exported here: callers import ``services`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.db import begin_read, begin_write, utcnow
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.federation.models import RemoteActor
from maillon.introductions import crossing, incoming  # noqa: F401 (their inbox handlers)
from maillon.introductions.lifecycle import (
    ANSWERED_STATUSES,
    DELIVERED,
    HELD,
    IN_PROGRESS,
    INTRODUCTION,
)
from maillon.introductions.models import (
    OPEN_STATUSES,
    DirectMessage,
    Introduction,
    IntroductionHop,
    IntroductionStaffView,
)
from maillon.introductions.reach import plan_to_remote
from maillon.introductions.records import (
    access_introduction,
    check_quota,
    count_pending_introductions,
    count_waiting_for,
    record_event,
    start_attempt,
)
from maillon.introductions.relay import (
    accept_introduction,
    advise_introduction,
    decline_introduction,
    expire_overdue,
    forward_introduction,
    reject_introduction,
    retry_introduction,
    suggest_reroutes,
    thank_chain,
    withdraw_introduction,
)
from maillon.introductions.review import (
    approve_introduction,
    block_introduction,
    held_for_review,
    relay_alerts,
    review_queue,
    review_trail,
)
from maillon.introductions.routing import (
    ChainsView,
    PathView,
    check_target_policy,
    contact_policy,
    find_chains,
    plan_path,
    reachable_among,
    relay_factor,
)
from maillon.introductions.signals import direct_message_sent
from maillon.introductions.stats import statistics
from maillon.introductions.validation import DirectMessageText, IntroductionRequest
from maillon.introductions.views_data import introduction_view, introduction_views
from maillon.members.models import Member
from maillon.members.services import access_member
from maillon.moderation.sanctions import check_not_limited
from maillon.moderation.services import record_audit
from maillon.network.services import are_connected
from maillon.pagination import paginate
from maillon.tenancy.models import Instance
from maillon.validation import check

__all__ = [
    "ChainsView", "PathView", "accept_introduction", "approve_introduction",
    "block_introduction", "relay_alerts", "review_queue", "review_trail",
    "access_introduction", "contact_policy",
    "advise_introduction", "can_contact_directly", "count_pending_introductions",
    "count_waiting_for",
    "decline_introduction", "expire_overdue", "find_chains", "forward_introduction",
    "introduction_obstacle", "introduction_view", "introduction_views",
    "introductions_overview", "list_direct_messages", "reachable_among",
    "list_introductions", "open_introduction", "Overview", "turn_since",
    "reject_introduction", "relay_factor", "request_introduction", "retry_introduction",
    "send_direct_message", "statistics", "suggest_reroutes", "thank_chain",
    "waiting_by_tab", "withdraw_introduction",
]

ROLES = ("sent", "relaying", "received")


def _lock_requester(session: Session, instance: Instance, requester: Member) -> None:
    """Serialise one member's requests (PostgreSQL; SQLite already serialises writers), so two
    tabs submitting at once find each other's request and count it in the quota."""
    session.execute(select(Member.id).where(Member.instance_id == instance.id,
                                            Member.id == requester.id).with_for_update())


def request_introduction(session: Session, instance: Instance, requester: Member,
                         target_id: int | None, *, message: str, purpose: str,
                         path_index: int = 0, remote_target_id: int | None = None,
                         via_member_id: int | None = None) -> Introduction:
    """Ask to be introduced to a member along the chain ``path_index`` of ``find_chains``,
    or (``remote_target_id``) to a person on another server through one of their local
    contacts (``via_member_id``, else the nearest: ``crossing.plan_crossing``).

    A first-degree connection gets it at once; asking again while a request to the same
    member is open returns that request. One of a member's first requests may be held for a
    moderator's review (``review.held_for_review``): its chain is planned, nobody holds it.
    """
    if remote_target_id is not None or target_id is None:
        return _request_across(session, instance, requester, remote_target_id,
                               message=message, purpose=purpose, via_member_id=via_member_id)
    target = access_member(session, instance, requester, target_id)
    check_not_limited(session, instance, requester)
    if target.id == requester.id:
        raise ServiceError("cannot_introduce_self", _("You cannot ask to be introduced to "
                           "yourself."), status=422, fields={"target_id": "yourself"})
    message = check(IntroductionRequest, {"message": message, "purpose": purpose}).message
    check_target_policy(target, purpose)
    _lock_requester(session, instance, requester)
    existing = session.scalar(select(Introduction).where(
        Introduction.instance_id == instance.id, Introduction.requester_id == requester.id,
        Introduction.target_id == target.id, Introduction.status.in_(OPEN_STATUSES)))
    if existing is not None:
        return existing
    check_quota(session, instance, requester)
    path = plan_path(session, instance, requester, target, path_index=path_index)
    return _open(session, instance, requester, path, {}, target_id=target.id, purpose=purpose,
                 message=message)


def _open(session: Session, instance: Instance, requester: Member, path: list[int],
          event: dict[str, Any], **fields: Any) -> Introduction:
    """The new request along ``path`` (its target in ``fields``), held for review or on its
    way to the first relay; committed. ``event``: more data for its "requested" event."""
    held = held_for_review(session, instance, requester)
    intro = Introduction(instance_id=instance.id, requester_id=requester.id, path=path,
                         hops=len(path) - 1, attempt=1, avoid=[], **fields)
    if held:
        INTRODUCTION.apply(intro, HELD)  # a new row: ``held`` is one of the initial states
    session.add(intro)
    session.flush()
    record_event(session, intro, "requested", requester, position=0, hops=intro.hops, **event)
    if held:
        record_event(session, intro, "held", None, position=0)
    else:
        start_attempt(session, instance, intro, requester, path)
    session.commit()
    return intro


def _request_across(session: Session, instance: Instance, requester: Member,
                    remote_target_id: int | None, *, message: str, purpose: str,
                    via_member_id: int | None) -> Introduction:
    """``request_introduction`` to a person on another server (decision 56)."""
    if remote_target_id is None:
        raise ValidationFailed({"target_id": _("Choose the member or the person on another "
                                               "server you would like to meet.")})
    remote = crossing.remote_target_of(session, instance, remote_target_id)
    check_not_limited(session, instance, requester)
    message = check(IntroductionRequest, {"message": message, "purpose": purpose}).message
    crossing.check_requester(session, instance, requester)
    if (existing := _open_to_remote(session, instance, requester, remote)) is not None:
        return existing
    check_quota(session, instance, requester)
    # Planned before anything is locked: it may ask their server (``reach.plan_to_remote``).
    plan = plan_to_remote(session, instance, requester, remote, purpose=purpose,
                          via_member_id=via_member_id)
    _lock_requester(session, instance, requester)
    if (existing := _open_to_remote(session, instance, requester, remote)) is not None:
        return existing  # a second tab opened it meanwhile
    check_quota(session, instance, requester)
    event = {"remote": remote.handle, **({"entry": plan.entry.handle} if plan.entry else {})}
    return _open(session, instance, requester, plan.path, event, target_id=None,
                 remote_target_id=remote.id, purpose=purpose, message=message,
                 remote_entry_id=plan.entry.id if plan.entry else None,
                 remote_beyond=plan.beyond or None)


def _open_to_remote(session: Session, instance: Instance, requester: Member,
                    remote: RemoteActor) -> Introduction | None:
    return session.scalar(select(Introduction).where(
        Introduction.instance_id == instance.id, Introduction.requester_id == requester.id,
        Introduction.remote_target_id == remote.id, Introduction.status.in_(OPEN_STATUSES)))


def _takes_part(session: Session, intro: Introduction, member: Member) -> bool:
    """Whether ``member`` is part of the request as ``views_data`` sees roles: its requester,
    its target once it reached them, or someone who held it."""
    if member.id == intro.target_id:
        return intro.delivered_at is not None
    if member.id == intro.requester_id:
        return True
    return session.scalar(select(IntroductionHop.id).where(
        IntroductionHop.instance_id == intro.instance_id,
        IntroductionHop.introduction_id == intro.id,
        IntroductionHop.member_id == member.id).limit(1)) is not None


def open_introduction(session: Session, instance: Instance, member: Member,
                      intro_id: int, *, ip: str = "") -> Introduction:
    """A request about to be shown to ``member`` (``access_introduction``). Staff who are not
    part of it may open it (without its private texts: ``views_data``), and each time they
    do, an ``IntroductionStaffView`` row records who opened which request, and when, and the
    audit log gets an ``introduction_viewed`` row (with the address) in the same commit."""
    intro = access_introduction(session, instance, member, intro_id)
    if member.is_moderator and not _takes_part(session, intro, member):
        begin_write(session)
        session.add(IntroductionStaffView(instance_id=instance.id, introduction_id=intro.id,
                                          member_id=member.id))
        record_audit(session, instance, member, "introduction_viewed",
                     subject_type="introduction", subject_id=intro.id, ip=ip)
        session.commit()
        begin_read(session)
    return intro


def waiting_by_tab(session: Session, instance: Instance, member: Member) -> dict[str, int]:
    """How many requests wait for the member's action, by tab of "My introductions": to relay
    (they hold it on its way) and received (it reached them, their answer is awaited)."""
    rows = session.execute(select(Introduction.status, func.count(Introduction.id)).where(
        Introduction.instance_id == instance.id, Introduction.holder_id == member.id,
        Introduction.status.in_(OPEN_STATUSES)).group_by(Introduction.status)).all()
    counts = dict(rows)
    return {"relaying": int(counts.get(IN_PROGRESS, 0)),
            "received": int(counts.get(DELIVERED, 0))}


def list_introductions(session: Session, instance: Instance, member: Member, role: str = "sent",
                       page: int = 1, per_page: int = 20) -> tuple[int, list[Introduction]]:
    """The member's requests: sent, passed through them (relaying), or received."""
    if role not in ROLES:
        raise ValidationFailed({"role": _("Choose sent, relaying or received.")})
    query = select(Introduction).where(Introduction.instance_id == instance.id)
    if role == "sent":
        query = query.where(Introduction.requester_id == member.id)
    elif role == "received":
        query = query.where(Introduction.target_id == member.id,
                            Introduction.delivered_at.is_not(None))
    else:
        query = query.where(Introduction.id.in_(select(IntroductionHop.introduction_id).where(
            IntroductionHop.instance_id == instance.id, IntroductionHop.member_id == member.id)))
    return paginate(session, query, Introduction.created_at.desc(), Introduction.id.desc(),
                    page=page, per_page=per_page)


def can_contact_directly(session: Session, instance: Instance, sender: Member,
                         target: Member) -> bool:
    """Whether the target's direct-contact policy lets the sender write to them."""
    if sender.id == target.id or target.status != "active" or target.instance_id != instance.id:
        return False
    direct = contact_policy(target).get("direct", "network")
    if direct == "anyone":
        return True
    if direct == "network":
        return are_connected(session, instance, sender.id, target.id)
    return False


def introduction_obstacle(session: Session, instance: Instance, viewer: Member,
                          target: Member) -> str | None:
    """Why no introduction to ``target`` can be asked for now, or None when a chain reaches
    them: ``not_accepted`` (they take no introductions) or ``no_chain`` (no chain within the
    hop cap around members who do not relay: what the "Get introduced" page would say)."""
    if not contact_policy(target).get("introductions", True):
        return "not_accepted"
    if target.id not in reachable_among(session, instance, viewer.id, [target]):
        return "no_chain"
    return None


def send_direct_message(session: Session, instance: Instance, sender: Member, target_id: int,
                        text: str) -> DirectMessage:
    """Write to a member directly, where their policy allows it."""
    target = access_member(session, instance, sender, target_id)
    check_not_limited(session, instance, sender)
    text = check(DirectMessageText, {"text": text}).text
    if not can_contact_directly(session, instance, sender, target):
        raise Forbidden("direct_contact_not_allowed", _(
            "This member does not accept direct messages from you: ask for an introduction."))
    message = DirectMessage(instance_id=instance.id, sender_id=sender.id,
                            recipient_id=target.id, text=text)
    session.add(message)
    session.flush()
    direct_message_sent.send(session, message=message, actor=sender, recipients=[target])
    session.commit()
    return message


def list_direct_messages(session: Session, instance: Instance, member: Member, page: int = 1,
                         per_page: int = 20) -> tuple[int, list[DirectMessage]]:
    """Messages the member sent or received, newest first."""
    query = select(DirectMessage).where(
        DirectMessage.instance_id == instance.id,
        (DirectMessage.sender_id == member.id) | (DirectMessage.recipient_id == member.id))
    return paginate(session, query, DirectMessage.created_at.desc(), DirectMessage.id.desc(),
                    page=page, per_page=per_page)


# --- what a member's home page shows of their introductions -----------------------------------

#: Events that hand a request to someone: the latest one of the current attempt says since
#: when the one who holds it has had it (a time the requester's timeline shows anyway).
_HANDED = ("requested", "retried", "forwarded", "rerouted", "delivered")
#: A request of one's own that was answered, stopped or advised stays on the home page so long.
ANSWERED_DAYS = 14


@dataclass(frozen=True)
class Overview:
    """A member's introductions for their home page, each item ``(request, view)``, the view
    being what ``introduction_views`` lets the member see."""

    waiting: list[tuple[Introduction, dict[str, Any]]]  # held by the member: relay or answer
    waiting_total: int
    # The member's own, still travelling; each view has "since" (``turn_since``).
    progress: list[tuple[Introduction, dict[str, Any]]]
    answered: list[tuple[Introduction, dict[str, Any]]]  # the member's own, closed lately


def turn_since(view: dict[str, Any]) -> datetime | None:
    """Since when whoever holds the request has had it, from the events the viewer sees."""
    moments = [e["at"] for e in view["events"]
               if e["attempt"] == view["attempt"] and e["kind"] in _HANDED]
    return moments[-1] if moments else None  # events come in the order they happened


def introductions_overview(session: Session, instance: Instance, member: Member, *,
                           limit: int = 5) -> Overview:
    """What waits for the member, their requests on their way and those answered in the last
    ANSWERED_DAYS days: six queries whatever the numbers (three lists, then their views)."""
    mine = (Introduction.instance_id == instance.id,)
    waiting_where = (*mine, Introduction.holder_id == member.id,
                     Introduction.status.in_(OPEN_STATUSES))
    waiting_total = int(session.scalar(select(func.count(Introduction.id)).where(
        *waiting_where)) or 0)
    newest = (Introduction.created_at.desc(), Introduction.id.desc())
    waiting = list(session.scalars(select(Introduction).where(*waiting_where)
                                   .order_by(Introduction.hop_deadline, Introduction.id)
                                   .limit(limit)))
    progress = list(session.scalars(select(Introduction).where(
        *mine, Introduction.requester_id == member.id,
        Introduction.status.in_(OPEN_STATUSES)).order_by(*newest).limit(limit)))
    lately = utcnow() - timedelta(days=ANSWERED_DAYS)
    answered = list(session.scalars(select(Introduction).where(
        *mine, Introduction.requester_id == member.id,
        Introduction.status.in_(ANSWERED_STATUSES),
        Introduction.closed_at >= lately).order_by(Introduction.closed_at.desc(),
                                                   Introduction.id.desc()).limit(limit)))
    rows = waiting + progress + answered
    views = dict(zip([i.id for i in rows], introduction_views(session, instance, rows, member),
                     strict=True))
    for intro in progress:
        views[intro.id]["since"] = turn_since(views[intro.id])
    return Overview([(i, views[i.id]) for i in waiting], waiting_total,
                    [(i, views[i.id]) for i in progress], [(i, views[i.id]) for i in answered])
