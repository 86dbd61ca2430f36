"""Chains that continue on the receiving server (decision 62).

Another server's relay M (the *carrier*) may hand a request not to the person it is for, T,
but to one of their contacts here, X, the entry relay: an ``Offer{Relationship}`` whose ``to``
names X while the Relationship's object is T. The chain then continues here, between our
members, each acting in their own pages as local relays do: X passes it on (with an optional
vouch) or declines, then the next relay on the chain planned here, up to T, who accepts or
declines as for a request addressed to them (``incoming.answer_incoming_introduction``). One
``IncomingIntroduction`` row per Offer (``member_id`` = X, ``target_id`` = T, ``path`` the
chain here) and one ``IncomingIntroductionTurn`` per relay who held it.

What goes back across is what the other server can check: T's ``Accept`` or ``Reject``,
signed by T; or, when the request stops here (a relay declines or lets their turn expire, or
no chain remains), a ``Reject`` signed by X, the member the Offer was addressed to, with no
reason in it. Who declined is never told to anyone; everyone here who passed it on is told
that it ended.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden
from maillon.federation.lifecycle import PROCESSED
from maillon.federation.models import InboxActivity
from maillon.federation.text import plain_text
from maillon.introductions.chains import MAX_HOPS_LIMIT
from maillon.introductions.incoming import (
    MAX_CONTENT,
    _find,
    _ignored,
    _tell,
    access_incoming_introduction,
    answer_incoming_introduction,
    connected_carrier,
    learn_requester,
    published_member_at,
    send_answer,
    too_many_waiting,
)
from maillon.introductions.lifecycle import (
    INCOMING,
    INCOMING_RELAYING,
    INCOMING_STOPPED,
    INCOMING_TURN,
    INCOMING_WAITING,
    TURN_DECLINED,
    TURN_EXPIRED,
    TURN_FORWARDED,
    TURN_WAITING,
    TURN_WITHDRAWN,
)
from maillon.introductions.models import IncomingIntroduction
from maillon.introductions.models import IncomingIntroductionTurn as Turn
from maillon.introductions.records import hop_deadline, members_by_id
from maillon.introductions.routing import (
    chains_between,
    contact_policy,
    hop_cap,
    unavailable_ids,
)
from maillon.introductions.validation import DeclineNote, PassOn
from maillon.members.models import Member
from maillon.network.services import are_connected
from maillon.tenancy.models import Instance
from maillon.validation import check

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ receipt


def _count(value: Any) -> int | None:
    """A hop count from the Offer: a small positive integer, else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_HOPS_LIMIT * 4 else None


def plan_here(session: Session, instance: Instance, start: int, target_id: int,
              links: int, avoid: set[int]) -> list[int] | None:
    """Member ids of the best chain here from ``start`` to the target within ``links``,
    around members who do not relay and ``avoid``; None when there is none."""
    if links < 1:
        return None
    if are_connected(session, instance, start, target_id):
        return [start, target_id]
    if links < 2:
        return None
    found = chains_between(session, instance, start, target_id,
                           max_hops=min(links, MAX_HOPS_LIMIT), k=1, avoid=avoid)
    return list(found[0].nodes) if found else None


def receive_relayed(session: Session, instance: Instance, row: InboxActivity,
                    recipients: list[Any], target_uri: str, requester_uri: str) -> str:
    """An Offer addressed to one of our members X for another of our members T: a chain
    that continues here, if X relays and knows the sender, and T takes introductions."""
    if len(recipients) != 1 or not isinstance(recipients[0], str):
        return _ignored(row, "not addressed to the person it introduces to")
    entry = published_member_at(session, instance, recipients[0])
    if entry is None:
        return _ignored(row, "not a member reachable from other servers")
    if entry.status != "active" or entry.relaying != "open":
        return _ignored(row, "the member it is addressed to does not relay")
    carrier = connected_carrier(session, instance, entry, row.actor)
    if carrier is None:
        return _ignored(row, "its actor is not a connection of the member")
    target = published_member_at(session, instance, target_uri)
    if target is None:
        return _ignored(row, "not a member reachable from other servers")
    if not contact_policy(target).get("introductions", True):
        return _ignored(row, "the member takes no introductions")
    # The sender may be the requester (connected with X themself, decision 61), never X or T.
    if target.id == entry.id or requester_uri in (recipients[0], target_uri):
        return _ignored(row, "it introduces someone to themselves")
    offer = row.payload
    hop, max_hops = _count(offer.get("hop")), _count(offer.get("maxHops"))
    if hop is None or max_hops is None:
        return _ignored(row, "no hop count")
    if _find(session, instance, row.activity_id) is not None:
        return PROCESSED  # the same Offer again (a retry with a new activity row)
    if too_many_waiting(session, instance, entry):
        return _ignored(row, "too many requests wait for the member")
    # Links left here: the sender's limit and the target's (and the instance's) cap, each
    # less the links already made (up to and including the carrier to X).
    links = min(max_hops - hop, hop_cap(instance, target) - hop)
    path = plan_here(session, instance, entry.id, target.id, links, set())
    entry_id, target_id, carrier_id, offer_id = entry.id, target.id, carrier.id, row.activity_id
    content = plain_text(offer.get("content"), MAX_CONTENT)
    requester = learn_requester(session, instance, requester_uri)
    incoming = IncomingIntroduction(instance_id=instance.id, member_id=entry_id,
                                    carrier_id=carrier_id, requester_id=requester.id,
                                    offer_id=offer_id, content=content, target_id=target_id,
                                    path=path or [], max_links=max(links, 0))
    INCOMING.apply(incoming, INCOMING_RELAYING if path else INCOMING_STOPPED)
    if not path:
        incoming.answered_at = utcnow()
    session.add(incoming)
    if flush_or_find(session, lambda: _find(session, instance, offer_id)) is not None:
        return PROCESSED
    if path:
        _hand_to(session, instance, incoming, 0, utcnow())
    else:  # no chain here within what is left: it ends at once, in X's name
        log.info("introduction offer %s: no chain here to the member within %d links",
                 offer_id, links)
        send_answer(session, instance, incoming, incoming.member, accept=False)
    return PROCESSED


# ---------------------------------------------------------------------------- the turns


def _hand_to(session: Session, instance: Instance, incoming: IncomingIntroduction,
             position: int, now: datetime) -> None:
    """Give the request to whoever is at ``position`` of the chain here: a relay gets a turn
    with the instance's relay deadline, the target gets it to answer; either is told."""
    path = incoming.path
    people = members_by_id(session, instance, path[max(0, position - 1):position + 1])
    previous = people.get(path[position - 1]) if position > 0 else None
    if position == len(path) - 1:
        INCOMING.apply(incoming, INCOMING_WAITING)
        incoming.delivered_at = now
        _tell(session, instance, incoming, passed_by=previous)
        return
    INCOMING.apply(incoming, INCOMING_RELAYING)
    holder = people[path[position]]
    session.add(Turn(instance_id=instance.id, incoming_id=incoming.id, member_id=holder.id,
                     position=position, status=TURN_WAITING,
                     deadline=hop_deadline(instance, now), created_at=now))
    _notify_relay(session, instance, incoming, holder, previous)


def _names(session: Session, instance: Instance, incoming: IncomingIntroduction
           ) -> dict[str, str]:
    from maillon.federation.local import server_label

    target = incoming.target
    return {"requester": incoming.requester.name,
            "server": server_label(incoming.requester.uri),
            "target": target.name if target is not None else ""}


def _notify_relay(session: Session, instance: Instance, incoming: IncomingIntroduction,
                  holder: Member, previous: Member | None) -> None:
    from maillon.notifications.services import notify

    notify(session, instance, holder, "introduction_relay_from_other_server",
           subject=incoming, data={**_names(session, instance, incoming),
                                   "previous": previous.name if previous is not None
                                   else incoming.carrier.name})


def tell_passers(session: Session, instance: Instance, incoming: IncomingIntroduction,
                 outcome: str, also: Member | None = None, actor: Member | None = None
                 ) -> None:
    """Everyone here who passed the request on (and ``also``: whoever held it when it was
    withdrawn) learns how it ended: accepted, rejected (by the person it was for), stopped
    (on the way: never where or by whom) or withdrawn. ``actor``, who ended it by their own
    action, sees it on their page and is not told again."""
    from maillon.notifications.services import notify

    turns = session.scalars(select(Turn).where(
        Turn.instance_id == instance.id, Turn.incoming_id == incoming.id,
        Turn.status == TURN_FORWARDED).order_by(Turn.position)).all()
    people = members_by_id(session, instance, [t.member_id for t in turns])
    told = [people[t.member_id] for t in turns
            if t.member_id in people and (actor is None or t.member_id != actor.id)]
    if also is not None:
        told.append(also)
    data = {**_names(session, instance, incoming), "outcome": outcome}
    for member in told:
        notify(session, instance, member, "introduction_from_other_server_ended",
               subject=incoming, data=data)


def _stop(session: Session, instance: Instance, incoming: IncomingIntroduction,
          now: datetime, actor: Member | None = None) -> None:
    """The request ends here: ``Reject`` of the Offer signed by the entry relay X (the
    member it was addressed to), and everyone who passed it on is told."""
    INCOMING.apply(incoming, INCOMING_STOPPED)
    incoming.answered_at = now
    send_answer(session, instance, incoming, incoming.member, accept=False)
    tell_passers(session, instance, incoming, "stopped", actor=actor)


def _lock(session: Session, instance: Instance, incoming_id: int) -> IncomingIntroduction:
    found = session.scalar(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id, IncomingIntroduction.id == incoming_id)
        .with_for_update().execution_options(populate_existing=True))
    if found is None:
        raise NotFound()
    return found


def _begin_turn(session: Session, instance: Instance, member: Member, incoming_id: int,
                done: str) -> tuple[IncomingIntroduction, Turn | None]:
    """The request, locked, and the member's turn if they hold it now. The turn is None when
    the member already did ``done`` (a repeated click: the caller changes nothing). Another
    answer after acting, or after the request ended, is 409 ``already_answered``."""
    incoming = access_incoming_introduction(session, instance, member, incoming_id)
    current = session.scalar(select(Turn).where(
        Turn.instance_id == instance.id, Turn.incoming_id == incoming.id,
        Turn.status == TURN_WAITING).execution_options(populate_existing=True))
    if (incoming.status == INCOMING_RELAYING and current is not None
            and current.member_id == member.id):
        return incoming, current
    mine = session.scalar(select(Turn).where(
        Turn.instance_id == instance.id, Turn.incoming_id == incoming.id,
        Turn.member_id == member.id).execution_options(populate_existing=True))
    if mine is None:
        raise Forbidden("not_current_hop", _("Only the member holding this request can act "
                                             "on it now."))
    if mine.status == done:
        return incoming, None
    raise Conflict("already_answered", _("You have already answered this request."))


def pass_on(session: Session, instance: Instance, member: Member, incoming_id: int, *,
            vouch: str = "") -> IncomingIntroduction:
    """The holder passes the request to the next member of the chain here (re-planned from
    them around members who stopped relaying since), with an optional vouch that the next
    person and the target read. When no chain remains, the request ends here."""
    vouch = check(PassOn, {"vouch": vouch}).vouch
    incoming, turn = _begin_turn(session, instance, member, incoming_id, TURN_FORWARDED)
    if turn is None:
        session.commit()
        return incoming
    now = utcnow()
    INCOMING_TURN.apply(turn, TURN_FORWARDED)
    turn.vouch, turn.acted_at = vouch, now
    position, path = turn.position, list(incoming.path)
    target_id = incoming.target_id
    assert target_id is not None
    following: list[int] | None = path[position:]
    nxt = path[position + 1] if position + 1 < len(path) else None
    if nxt is None or (nxt != target_id and nxt in unavailable_ids(session, instance)):
        # Around whoever stopped relaying, never back through anyone who held it.
        following = plan_here(session, instance, member.id, target_id,
                              (incoming.max_links or 0) - position, set(path[:position]))
    target = members_by_id(session, instance, [target_id]).get(target_id)
    if (following is None or target is None
            or published_member_at(session, instance, _actor_of(instance, target_id)) is None
            or not contact_policy(target).get("introductions", True)):
        _stop(session, instance, incoming, now, actor=member)
        session.commit()
        return incoming
    incoming.path = path[:position] + following
    _hand_to(session, instance, incoming, position + 1, now)
    session.commit()
    return incoming


def _actor_of(instance: Instance, member_id: int) -> str:
    from maillon.federation import urls

    return urls.member_actor(instance, member_id)


def decline_turn(session: Session, instance: Instance, member: Member, incoming_id: int, *,
                 reason: str = "") -> IncomingIntroduction:
    """The holder does not pass it on: the request ends here (a Reject signed by X goes
    back). The reason stays theirs: never sent across, shown to nobody else."""
    reason = check(DeclineNote, {"reason": reason}).reason
    incoming, turn = _begin_turn(session, instance, member, incoming_id, TURN_DECLINED)
    if turn is None:
        session.commit()
        return incoming
    now = utcnow()
    INCOMING_TURN.apply(turn, TURN_DECLINED)
    turn.decline_reason, turn.acted_at = reason, now
    _stop(session, instance, incoming, now)
    session.commit()
    return incoming


def decline_incoming(session: Session, instance: Instance, member: Member, incoming_id: int,
                     *, reason: str = "") -> IncomingIntroduction:
    """"Decline" on the page or the API: a relay's decline if the member is a relay of this
    request here, else the answer of the person it is for."""
    incoming = access_incoming_introduction(session, instance, member, incoming_id)
    if incoming.answerer_id == member.id:
        return answer_incoming_introduction(session, instance, member, incoming_id,
                                            accept=False)
    return decline_turn(session, instance, member, incoming_id, reason=reason)


def _expire_turn(session: Session, instance: Instance, turn: Turn, now: datetime) -> bool:
    incoming = _lock(session, instance, turn.incoming_id)
    if incoming.status != INCOMING_RELAYING or turn.status != TURN_WAITING:
        return False
    INCOMING_TURN.apply(turn, TURN_EXPIRED)
    turn.acted_at = now
    _stop(session, instance, incoming, now)
    return True


def expire_overdue_turns(session: Session, now: datetime) -> int:
    """Turns here past the relay deadline (all instances): the request stops, as for a
    decline. In the caller's transaction (``relay.expire_overdue`` commits)."""
    from maillon.notifications.services import instance_of

    query = select(Turn).where(Turn.status == TURN_WAITING, Turn.deadline < now).limit(500)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    expired = 0
    for turn in session.scalars(query.execution_options(populate_existing=True)).all():
        expired += _expire_turn(session, instance_of(session, turn.instance_id), turn, now)
    return expired


def expire_turns_held_by(session: Session, instance: Instance, member: Member,
                         now: datetime) -> int:
    """A member who can no longer relay (suspended, deleted): requests from other servers
    waiting on them here stop at once, in the caller's transaction."""
    held = session.scalars(select(Turn).where(
        Turn.instance_id == instance.id, Turn.member_id == member.id,
        Turn.status == TURN_WAITING).execution_options(populate_existing=True)).all()
    return sum(_expire_turn(session, instance, turn, now) for turn in held)


def stop_those_for(session: Session, instance: Instance, member: Member, now: datetime
                   ) -> int:
    """The member it is for deletes their account: requests travelling to them here, or
    waiting for their answer, stop (a Reject signed by the entry relay goes back)."""
    rows = session.scalars(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id,
        IncomingIntroduction.target_id == member.id,
        IncomingIntroduction.status.in_((INCOMING_RELAYING, INCOMING_WAITING)))
        .with_for_update().execution_options(populate_existing=True)).all()
    for incoming in rows:
        current = session.scalar(select(Turn).where(
            Turn.instance_id == instance.id, Turn.incoming_id == incoming.id,
            Turn.status == TURN_WAITING))
        if current is not None:
            INCOMING_TURN.apply(current, TURN_WITHDRAWN)
            current.acted_at = now
        _stop(session, instance, incoming, now)
    return len(rows)


def end_turns_on_withdrawal(session: Session, instance: Instance,
                            incoming: IncomingIntroduction, now: datetime) -> None:
    """The carrier's Undo while a relay here holds it: their turn ends, and they and everyone
    who passed it on are told (the caller marks the request withdrawn)."""
    if incoming.status != INCOMING_RELAYING:
        if incoming.relayed:
            tell_passers(session, instance, incoming, "withdrawn")
        return
    current = session.scalar(select(Turn).where(
        Turn.instance_id == instance.id, Turn.incoming_id == incoming.id,
        Turn.status == TURN_WAITING))
    holder = None
    if current is not None:
        INCOMING_TURN.apply(current, TURN_WITHDRAWN)
        current.acted_at = now
        holder = members_by_id(session, instance, [current.member_id]).get(current.member_id)
    tell_passers(session, instance, incoming, "withdrawn", also=holder)


# --------------------------------------------------------------------------- what is shown


def incoming_views(session: Session, instance: Instance, rows: list[IncomingIntroduction],
                   viewer: Member) -> list[dict[str, Any]]:
    """What ``viewer`` may see of each request (one query for the turns, one for the
    people): their role (``target`` or ``relay``), whether they act now, who passed it to
    them and, for a relay who passed it, to whom; the vouches meant for them (a relay reads
    the one passed to them, the target every one); the target also sees who passed it here.
    Nobody sees who declined or let a turn expire, nor anyone's reason."""
    ids = [r.id for r in rows if r.relayed]
    turns: dict[int, list[Turn]] = {i: [] for i in ids}
    if ids:
        for turn in session.scalars(select(Turn).where(
                Turn.instance_id == instance.id, Turn.incoming_id.in_(ids))
                .order_by(Turn.incoming_id, Turn.position)):
            turns[turn.incoming_id].append(turn)
    wanted = {m for r in rows if r.relayed for m in r.path}
    people = members_by_id(session, instance, list(wanted))
    views = []
    for row in rows:
        view: dict[str, Any] = {"row": row, "role": "target", "can_act": False, "turn": None,
                                "passed_by": None, "passed_to": None, "vouches": [],
                                "chain": [], "target": None}
        if not row.relayed:
            view["can_act"] = row.status == INCOMING_WAITING
            views.append(view)
            continue
        view["target"] = people.get(row.target_id or 0)
        mine = [t for t in turns[row.id] if t.member_id == viewer.id]
        passed = [t for t in turns[row.id] if t.status == TURN_FORWARDED]
        if row.target_id == viewer.id:
            view["can_act"] = row.status == INCOMING_WAITING
            view["chain"] = [people.get(t.member_id) for t in passed]
            view["vouches"] = [(people.get(t.member_id), t.vouch) for t in passed if t.vouch]
            if passed:
                view["passed_by"] = people.get(passed[-1].member_id)
        elif mine:
            turn = mine[0]
            view.update(role="relay", turn=turn,
                        can_act=turn.status == TURN_WAITING and row.status == INCOMING_RELAYING)
            before = [t for t in turns[row.id] if t.position == turn.position - 1]
            if before:
                view["passed_by"] = people.get(before[0].member_id)
                if before[0].vouch:
                    view["vouches"] = [(view["passed_by"], before[0].vouch)]
            if turn.status == TURN_FORWARDED and turn.position + 1 < len(row.path):
                view["passed_to"] = people.get(row.path[turn.position + 1])
        views.append(view)
    return views


def list_turns(session: Session, instance: Instance, member: Member) -> list[Turn]:
    """Every turn the member held here (the data export)."""
    return list(session.scalars(select(Turn).where(
        Turn.instance_id == instance.id, Turn.member_id == member.id).order_by(Turn.id)))

