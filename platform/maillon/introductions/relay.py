"""What happens to a request on its way: each relay forwards, reroutes, declines or advises;
the target accepts or rejects; the requester withdraws or retries; overdue hops expire.

Every action locks the request's row, re-checks its state inside the transaction and writes one
event. Repeating an action one already took (a double click, a second tab) returns the request
as the first one left it, without a second event.
"""

from __future__ import annotations

import logging
from datetime import datetime

from blinker import NamedSignal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.introductions.chains import best_chains
from maillon.introductions.crossing import (
    check_requester,
    hand_across,
    withdraw_across,
)
from maillon.introductions.lifecycle import (
    ACCEPTED,
    ADVISED,
    ADVISED_HOP,
    DECLINED,
    DECLINED_HOP,
    DELIVERED,
    EXPIRED,
    EXPIRED_HOP,
    HOLDING,
    HOP,
    IN_PROGRESS,
    INTRODUCTION,
    OPEN_STATUSES,
    REJECTED,
    RETRYABLE_STATUSES,
    WITHDRAWN,
)
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.introductions.reach import CrossingPlan, plan_to_remote, replan_here
from maillon.introductions.records import (
    access_introduction,
    chain_members,
    check_quota,
    current_hop_row,
    hand_to,
    members_by_id,
    record_event,
    start_attempt,
)
from maillon.introductions.routing import (
    check_target_policy,
    hop_cap,
    level_link_prob,
    plan_path,
    rank_reroutes,
    relay_factor,
    unavailable_ids,
)
from maillon.introductions.signals import (
    introduction_accepted,
    introduction_advised,
    introduction_declined,
    introduction_delivered,
    introduction_expired,
    introduction_forwarded,
    introduction_rejected,
    introduction_thanked,
    introduction_withdrawn,
)
from maillon.introductions.validation import Advice, Answer, DeclineNote, RelayNote, Thanks
from maillon.jobs.services import periodic
from maillon.members.models import Member
from maillon.members.services import access_member
from maillon.network.graph import graph_for
from maillon.network.services import are_connected, request_connection
from maillon.tenancy.models import Instance
from maillon.validation import check

log = logging.getLogger(__name__)


def _closed() -> Conflict:
    return Conflict("already_closed", _("This request is already closed."))


def _begin_relay(session: Session, instance: Instance, member: Member, intro_id: int,
                 done: tuple[str, ...]) -> tuple[Introduction, IntroductionHop | None]:
    """Lock the request for its current holder. The hop is None when the member already took
    this action (a replay): the caller then returns the request unchanged."""
    intro = access_introduction(session, instance, member, intro_id, lock=True)
    if intro.status == IN_PROGRESS and intro.holder_id == member.id:
        hop = current_hop_row(session, intro)
        if hop is not None and hop.member_id == member.id and hop.status == HOLDING:
            return intro, hop
    replay = session.scalar(select(IntroductionHop.id).where(
        IntroductionHop.introduction_id == intro.id, IntroductionHop.member_id == member.id,
        IntroductionHop.status.in_(done)).limit(1))
    if replay is not None:
        return intro, None
    if intro.status not in OPEN_STATUSES:
        raise _closed()
    raise Forbidden("not_current_hop", _("Only the member holding this request can act "
                                             "on it now."))


def _replayed(session: Session, intro: Introduction) -> Introduction:
    session.commit()  # ends the locking transaction
    return intro


def _no_route() -> ServiceError:
    return ServiceError("no_route_from_there", _(
        "No chain reaches the target from this contact within the allowed length."),
        status=422, fields={"to_member_id": "no_route"})


def _local_end(intro: Introduction) -> tuple[int, list[int]]:
    """The member the local chain must reach (the target, or the last relay before the
    border), and what follows them in the path (the remote person, or nothing)."""
    if intro.target_id is not None:
        return intro.target_id, []
    return intro.path[-2], intro.path[-1:]


def _cap(instance: Instance, intro: Introduction) -> int:
    """The hop cap of the request: the target's and the instance's (the instance's alone for
    a target on another server, whose crossing link counts as one)."""
    if intro.target is not None:
        return hop_cap(instance, intro.target)
    return max(1, int(instance.setting("introductions.max_hops")))


def _tail_from(session: Session, instance: Instance, intro: Introduction, start: int,
               links_used: int, head: list[int]) -> list[int]:
    """Member ids from ``start`` to the target, within what is left of the hop cap."""
    end, across = _local_end(intro)
    if start == end:
        return [start, *across]
    budget = _cap(instance, intro) - links_used - len(across)
    if budget < 1:
        raise _no_route()
    blocked = unavailable_ids(session, instance) | set(intro.avoid) | set(head)
    # Every link at its level: the holder (and, in full mode, the requester) will see it.
    found = best_chains(graph_for(session, instance), start, end, budget,
                        relay_factor(session, instance), k=1, avoid=blocked,
                        link_prob=level_link_prob)
    if not found:
        raise _no_route()
    return [*found[0].nodes, *across]


def forward_introduction(session: Session, instance: Instance, member: Member, intro_id: int,
                         *, note: str = "", vouch: str = "",
                         to_member_id: int | None = None) -> Introduction:
    """Pass the request on, with a private note to the next member and an optional vouch for
    the target; ``to_member_id`` reroutes it to another of one's contacts instead."""
    written = check(RelayNote, {"note": note, "vouch": vouch})
    note, vouch = written.note, written.vouch
    intro, hop = _begin_relay(session, instance, member, intro_id, ("forwarded", "rerouted"))
    if hop is None:
        return _replayed(session, intro)
    position = intro.current_hop
    head = intro.path[:position + 1]
    planned = intro.path[position + 1]
    kind = "forwarded"
    if planned < 0:  # the next hop is the person on another server: hand it across
        if to_member_id is not None:
            raise ServiceError("cannot_reroute_to", _("This request goes to a person on "
                               "another server: forward it to them or decline."),
                               status=422, fields={"to_member_id": "unavailable"})
        HOP.apply(hop, kind)
        hop.vouch, hop.acted_at = vouch, utcnow()
        record_event(session, intro, kind, member, position=position, note=note, vouch=vouch)
        hand_across(session, instance, intro, member, vouch)
        session.commit()
        return intro
    if to_member_id is not None and to_member_id != planned:
        contact = access_member(session, instance, member, to_member_id)
        if not are_connected(session, instance, member.id, contact.id):
            raise ServiceError("not_a_contact", _("You can pass a request only to one of your "
                               "contacts."), status=422, fields={"to_member_id": "not_connected"})
        if contact.id != _local_end(intro)[0] and (
                contact.id in head or contact.id in intro.avoid
                or contact.id in unavailable_ids(session, instance)):
            raise ServiceError("cannot_reroute_to", _("This contact cannot carry the request."),
                               status=422, fields={"to_member_id": "unavailable"})
        intro.path = head + _tail_from(session, instance, intro, contact.id, position + 1, head)
        kind = "rerouted"
    elif planned != _local_end(intro)[0] and planned in unavailable_ids(session, instance):
        # The planned next relay stopped relaying since the chain was chosen: go around them.
        intro.path = head[:-1] + _tail_from(session, instance, intro, member.id, position,
                                            head[:-1] + [planned])
    intro.hops = len(intro.path) - 1
    HOP.apply(hop, kind)
    hop.vouch, hop.acted_at = vouch, utcnow()
    record_event(session, intro, kind, member, position=position, to=intro.path[position + 1],
                 note=note, vouch=vouch)
    _advance(session, instance, intro, member, position + 1, note)
    session.commit()
    return intro


def _advance(session: Session, instance: Instance, intro: Introduction, actor: Member,
             position: int, note: str) -> None:
    new_hop = hand_to(session, instance, intro, position, note=note)
    session.flush()
    holder = members_by_id(session, instance, [intro.path[position]])[intro.path[position]]
    if new_hop is not None:
        introduction_forwarded.send(session, introduction=intro, actor=actor,
                                    recipients=[holder])
    else:
        record_event(session, intro, "delivered", None, position=position)
        introduction_delivered.send(session, introduction=intro, actor=actor,
                                    recipients=[holder])


def suggest_reroutes(session: Session, instance: Instance, member: Member, intro_id: int,
                     limit: int = 5) -> list[tuple[Member, float]]:
    """The holder's contacts closest to the target, with the chance of a chain through them,
    best first, without the person the request goes to next."""
    intro = access_introduction(session, instance, member, intro_id)
    if intro.status != IN_PROGRESS or intro.holder_id != member.id:
        raise Forbidden("not_current_hop", _("Only the member holding this request can act "
                                             "on it now."))
    head = set(intro.path[:intro.current_hop + 1])
    # The planned next person is what "Forward" does: offered again as a reroute, it would
    # look like another way. Left out of the options only, not of the chains after them.
    planned = intro.path[intro.current_hop + 1] if intro.current_hop + 1 < len(
        intro.path) else None
    end, across = _local_end(intro)
    if planned is not None and planned < 0:
        return []  # the last relay before the border: only forward across, or not
    ranked = rank_reroutes(session, instance, member.id, end,
                           budget=_cap(instance, intro) - intro.current_hop - len(across),
                           avoid=head | set(intro.avoid), limit=limit + 1)
    ranked = [(m, p) for m, p in ranked if m != planned][:limit]
    people = members_by_id(session, instance, [m for m, _p in ranked])
    return [(people[m], p) for m, p in ranked if m in people]


def _close(intro: Introduction, status: str) -> None:
    INTRODUCTION.apply(intro, status)
    intro.holder_id = None
    intro.hop_deadline = None
    intro.closed_at = utcnow()


def decline_introduction(session: Session, instance: Instance, member: Member, intro_id: int,
                         *, reason: str = "") -> Introduction:
    """Refuse to pass the request on; the reason goes upstream, never the name."""
    reason = check(DeclineNote, {"reason": reason}).reason
    intro, hop = _begin_relay(session, instance, member, intro_id, ("declined",))
    if hop is None:
        return _replayed(session, intro)
    HOP.apply(hop, DECLINED_HOP)
    hop.decline_reason, hop.acted_at = reason, utcnow()
    intro.avoid = [*intro.avoid, member.id]
    _close(intro, DECLINED)
    record_event(session, intro, "declined", member, position=hop.position, reason=reason)
    introduction_declined.send(session, introduction=intro, actor=None,
                               recipients=[intro.requester])
    session.commit()
    return intro


def advise_introduction(session: Session, instance: Instance, member: Member, intro_id: int,
                        *, advice: str) -> Introduction:
    """End the request with advice to the requester instead of passing it on."""
    advice = check(Advice, {"advice": advice}).advice
    intro, hop = _begin_relay(session, instance, member, intro_id, ("advised",))
    if hop is None:
        return _replayed(session, intro)
    HOP.apply(hop, ADVISED_HOP)
    hop.acted_at = utcnow()
    intro.advice = advice
    _close(intro, ADVISED)
    record_event(session, intro, "advised", member, position=hop.position, advice=advice)
    introduction_advised.send(session, introduction=intro, actor=member,
                              recipients=_told_of_outcome(session, intro, member))
    session.commit()
    return intro


def _told_of_outcome(session: Session, intro: Introduction, actor: Member) -> list[Member]:
    """The requester and everyone who held the current attempt, except whoever acted."""
    people = [intro.requester, *chain_members(session, intro)]
    return [m for m in people if m.id != actor.id]


def _begin_as(session: Session, instance: Instance, member: Member, intro_id: int,
              role: str, code: str, refusal: str) -> Introduction:
    """The request, locked, if ``member`` is its ``role`` (target or requester)."""
    intro = access_introduction(session, instance, member, intro_id, lock=True)
    if getattr(intro, f"{role}_id") != member.id:
        raise Forbidden(code, refusal)
    return intro


def _begin_target(session: Session, instance: Instance, member: Member, intro_id: int
                  ) -> Introduction:
    return _begin_as(session, instance, member, intro_id, "target", "not_target",
                     _("Only the member this request is for can answer it."))


def _answer(session: Session, instance: Instance, member: Member, intro_id: int,
            outcome: str, message: str, told: NamedSignal) -> tuple[Introduction, bool]:
    """The target's answer (accepted or rejected, with an optional message): the request is
    closed and everyone on the chain told. Also whether it was answered now (a repeat of the
    same answer replays it)."""
    message = check(Answer, {"message": message}).message
    intro = _begin_target(session, instance, member, intro_id)
    if intro.status == outcome:
        return _replayed(session, intro), False
    if not INTRODUCTION.allows(intro.status, outcome):
        raise _closed()
    intro.outcome_message = message
    _close(intro, outcome)
    record_event(session, intro, outcome, member, position=intro.hops, message=message)
    told.send(session, introduction=intro, actor=member,
              recipients=_told_of_outcome(session, intro, member))
    session.commit()
    return intro, True


def accept_introduction(session: Session, instance: Instance, member: Member, intro_id: int,
                        *, message: str = "", connect: bool = False) -> Introduction:
    """The target accepts: both see each other's contact details; with ``connect`` the target
    also invites the requester to connect."""
    intro, answered = _answer(session, instance, member, intro_id, ACCEPTED, message,
                              introduction_accepted)
    if connect and answered:
        try:
            request_connection(session, instance, member, intro.requester_id)
        except ServiceError as exc:  # the acceptance stands; the invitation is a courtesy
            session.rollback()
            log.info("no connection request after introduction %s: %s", intro.id, exc.code)
    return intro


def reject_introduction(session: Session, instance: Instance, member: Member, intro_id: int,
                        *, message: str = "") -> Introduction:
    """The target says no (optionally why); everyone on the chain learns it."""
    intro, _answered = _answer(session, instance, member, intro_id, REJECTED, message,
                               introduction_rejected)
    return intro


def _begin_requester(session: Session, instance: Instance, member: Member, intro_id: int
                     ) -> Introduction:
    return _begin_as(session, instance, member, intro_id, "requester", "not_requester",
                     _("Only the member who asked can do this."))


def withdraw_introduction(session: Session, instance: Instance, member: Member, intro_id: int
                          ) -> Introduction:
    """The requester calls the request off."""
    intro = _begin_requester(session, instance, member, intro_id)
    if intro.status == WITHDRAWN:
        return _replayed(session, intro)
    if not INTRODUCTION.allows(intro.status, WITHDRAWN):
        raise _closed()
    position = intro.current_hop
    holder_id = intro.holder_id if intro.status == IN_PROGRESS else (
        intro.target_id if intro.status == DELIVERED else None)
    if intro.status == DELIVERED and intro.crosses:
        withdraw_across(session, instance, intro)  # their server forgets the request too
    _close(intro, WITHDRAWN)
    record_event(session, intro, "withdrawn", member, position=position)
    if holder_id is not None:  # whoever was asked to act need not any more
        holder = members_by_id(session, instance, [holder_id])[holder_id]
        introduction_withdrawn.send(session, introduction=intro, actor=member,
                                    recipients=[holder])
    session.commit()
    return intro


def retry_introduction(session: Session, instance: Instance, member: Member, intro_id: int
                       ) -> Introduction:
    """After a decline or an expiry: the next-best chain, around everyone who stopped it."""
    planned = _plan_across_first(session, instance, member, intro_id)
    intro = _begin_requester(session, instance, member, intro_id)
    if intro.status in OPEN_STATUSES and intro.attempt > 1:
        return _replayed(session, intro)  # a repeated retry
    if intro.status not in RETRYABLE_STATUSES or intro.purged_at is not None:
        # A request whose texts the retention policy erased has no message left to send.
        raise Conflict("not_retryable", _("Only a declined or expired request can be tried "
                                          "again."))
    check_quota(session, instance, member)
    path = plan_again(session, instance, intro, member, planned)
    intro.attempt += 1
    record_event(session, intro, "retried", member, position=0, hops=len(path) - 1)
    start_attempt(session, instance, intro, member, path)
    session.commit()
    return intro


def _plan_across_first(session: Session, instance: Instance, member: Member, intro_id: int
                       ) -> CrossingPlan | None:
    """The new chain of a request to a person on another server, planned before anything is
    locked: it may ask their server (``reach.plan_to_remote``)."""
    intro = access_introduction(session, instance, member, intro_id)
    if intro.remote_target is None or intro.requester_id != member.id \
            or intro.status not in RETRYABLE_STATUSES or intro.purged_at is not None:
        return None  # nothing to plan across; the checks under the lock answer
    check_requester(session, instance, member)
    return plan_to_remote(session, instance, member, intro.remote_target,
                          purpose=intro.purpose, avoid=list(intro.avoid))


def plan_again(session: Session, instance: Instance, intro: Introduction, requester: Member,
               planned: CrossingPlan | None = None) -> list[int]:
    """A new chain for the request around ``intro.avoid`` (a retry, or a held request whose
    relays stopped relaying): to a member, or to a person on another server (``planned``
    before the lock, else the local part again: ``reach.replan_here``)."""
    if intro.target is not None:
        check_target_policy(intro.target, intro.purpose)
        return plan_path(session, instance, requester, intro.target, avoid=intro.avoid)
    remote = intro.remote_target
    assert remote is not None
    check_requester(session, instance, requester)
    planned = planned or replan_here(session, instance, intro, requester)
    intro.remote_entry_id = planned.entry.id if planned.entry is not None else None
    intro.remote_beyond = planned.beyond or None
    return planned.path


def thank_chain(session: Session, instance: Instance, member: Member, intro_id: int, *,
                message: str) -> Introduction:
    """The target thanks everyone who carried the request (once)."""
    message = check(Thanks, {"message": message}).message
    intro = _begin_target(session, instance, member, intro_id)
    if intro.status != ACCEPTED:
        raise Conflict("not_accepted", _("You can thank the chain once you have accepted."))
    done = session.scalar(select(IntroductionEvent.id).where(
        IntroductionEvent.introduction_id == intro.id, IntroductionEvent.kind == "thanked"))
    if done is not None:
        return _replayed(session, intro)
    record_event(session, intro, "thanked", member, position=intro.hops, message=message)
    introduction_thanked.send(session, introduction=intro, actor=member,
                              recipients=chain_members(session, intro))
    session.commit()
    return intro


def expire_overdue(session: Session, now: datetime | None = None) -> int:
    """Expire every hop past its deadline (all instances), every Offer to a person on
    another server left unanswered as long (the requester may retry), and every relay's turn
    here on a request from another server (``incoming_relay``: it stops)."""
    now = now or utcnow()
    waiting = (Introduction.status == IN_PROGRESS) | (
        (Introduction.status == DELIVERED) & Introduction.remote_target_id.is_not(None))
    query = select(Introduction).where(waiting, Introduction.hop_deadline < now).limit(500)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    expired = 0
    for intro in session.scalars(query.execution_options(populate_existing=True)).all():
        _expire(session, intro, now)
        expired += 1
    # Relays' turns on requests from other servers whose chain continues here (decision 62).
    from maillon.introductions.incoming_relay import expire_overdue_turns

    expired += expire_overdue_turns(session, now)
    session.commit()
    return expired


def _expire(session: Session, intro: Introduction, now: datetime) -> None:
    """The timeout path: the holder's turn ends, the request stops, and the requester may
    retry along a chain that avoids the holder, never told who it was."""
    hop = current_hop_row(session, intro)
    if hop is not None:
        HOP.apply(hop, EXPIRED_HOP)
        hop.acted_at = now
    if intro.holder_id is not None:
        intro.avoid = [*intro.avoid, intro.holder_id]
    position = intro.current_hop
    _close(intro, EXPIRED)
    intro.closed_at = now
    record_event(session, intro, "expired", None, position=position)
    introduction_expired.send(session, introduction=intro, actor=None,
                              recipients=[intro.requester])


def expire_held_by(session: Session, instance: Instance, member: Member, *,
                   now: datetime | None = None) -> int:
    """A member who can no longer relay (suspended): every request waiting on them takes the
    timeout path at once, in the caller's transaction (no commit). Returns how many."""
    now = now or utcnow()
    held = session.scalars(select(Introduction).where(
        Introduction.instance_id == instance.id, Introduction.status == IN_PROGRESS,
        Introduction.holder_id == member.id).execution_options(populate_existing=True)).all()
    for intro in held:
        _expire(session, intro, now)
    from maillon.introductions.incoming_relay import expire_turns_held_by

    return len(held) + expire_turns_held_by(session, instance, member, now)


@periodic("expire_introductions", every_seconds=60)
def _expire_introductions(session: Session) -> None:
    expire_overdue(session)
