"""What each participant may see of a request: the chain per the instance's visibility policy,
notes and vouches meant for them, and a timeline in which the requester never learns who
declined or let the request expire. Staff who are not part of a request (role "moderator")
see its chain and timeline but none of its private texts (message, notes, vouches, decline
reasons, advice, answers and thanks), except while the request is under review (held,
reported, or alerted: ``review.under_review``), when they read its message, notes and vouches
(services.open_introduction records each view)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.introductions.lifecycle import (
    ACCEPTED,
    ADVISED_HOP,
    DELIVERED,
    IN_PROGRESS,
    INTRODUCTION,
    RETRYABLE_STATUSES,
    STOPPED_STATUSES,
    WITHDRAWN,
)
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.introductions.reach import shown_beyond
from maillon.introductions.records import members_by_id
from maillon.introductions.review import under_review
from maillon.members.models import Member
from maillon.network.visibility import nameable_next_to
from maillon.tenancy.models import Instance


def _across(instance: Instance, intro: Introduction, role: str, shown: set[int]
            ) -> dict[str, Any] | None:
    """A chain that continues on the target's server (decision 61): its entry there, shown
    to whoever may see the last relay here (who knows them), and the people after the entry
    as their server named them, to the requester as this instance's chain visibility allows
    (``reach.shown_beyond``), to the others only counted."""
    entry = intro.remote_entry
    if entry is None:
        return None
    last = intro.path[-2] if len(intro.path) > 1 else None
    known = role == "moderator" or last in shown
    beyond = list(intro.remote_beyond or [])
    people = shown_beyond(instance, beyond) if role in ("requester", "moderator") \
        else [{"uri": None, "name": None} for _p in beyond]
    return {"entry": {"id": entry.uri, "name": entry.name, "handle": entry.handle,
                      "server": entry.server} if known else None,
            "beyond": people}


def _role(intro: Introduction, viewer: Member, held: bool) -> str:
    if viewer.id == intro.requester_id:
        return "requester"
    if viewer.id == intro.target_id and intro.delivered_at is not None:
        return "target"
    if held:
        return "relay"
    return "moderator"


def visible_path_ids(session: Session, instance: Instance, intro: Introduction,
                     viewer: Member, people: Mapping[int, Member] | None = None) -> set[int]:
    """Members of the current chain the viewer may know about.

    Ends are always known to participants. ``full`` shows everyone; ``stepwise`` shows each
    participant their neighbours until the target accepts, then everyone; ``first_link``
    shows the requester only their own contact and relays their neighbours. The requester
    never sees anyone who declined or let the request expire, nor, until the target accepts,
    the member next to a target whose contacts are hidden from them
    (``network.visibility.nameable_next_to``). ``people``: members already read, by id.
    """
    path = intro.path
    mode = instance.setting("introductions.chain_visibility")
    is_participant = viewer.id in path or viewer.id == intro.requester_id
    if viewer.is_moderator and not is_participant:
        return set(path)
    target_id = intro.target_id
    visible = {intro.requester_id} | ({target_id} if target_id is not None else set())
    if mode == "full" or (mode == "stepwise" and intro.status == ACCEPTED):
        visible |= set(path)
    elif viewer.id in path:
        pos = path.index(viewer.id)
        visible |= {path[i] for i in (pos - 1, pos + 1) if 0 <= i < len(path)}
    if viewer.id == intro.requester_id:
        visible -= set(intro.avoid)
        last = path[-2] if len(path) > 2 else None
        # The relay next to a member target is named only as far as the target's contacts
        # are visible; a target on another server has no contacts list here.
        if last in visible and intro.status != ACCEPTED and target_id is not None:
            if people is None or last not in people or target_id not in people:
                people = members_by_id(session, instance, [last, target_id])
            if last in people and target_id in people and last not in nameable_next_to(
                    session, instance, viewer, people[target_id], [people[last]]):
                visible.discard(last)
    return visible | {viewer.id}


def _event_view(event: IntroductionEvent, viewer: Member, role: str, *, shown: set[int],
                people: dict[int, Member], upstream_of: dict[int, int | None],
                stopped: set[int], reviewing: bool = False) -> dict[str, Any]:
    """One timeline entry with only what this viewer may read (``reviewing``: staff reading
    a request under review, who read its notes and vouches)."""
    data = event.data or {}
    own = event.actor_id == viewer.id
    sees_all = role == "moderator"  # who did what: yes; what they wrote: no
    anonymous = role == "requester" and event.kind in ("declined", "expired")
    actor = None
    if event.actor_id is not None and not anonymous and (own or sees_all
                                                         or event.actor_id in shown):
        actor = people.get(event.actor_id)
    out: dict[str, Any] = {}
    if "hops" in data:
        out["hops"] = data["hops"]
    if event.kind in ("forwarded", "rerouted"):
        to = data.get("to")
        out["to"] = people.get(to) if isinstance(to, int) and (sees_all or to in shown) else None
        if data.get("note") and (own or to == viewer.id or reviewing):
            out["note"] = data["note"]
        if data.get("vouch") and (own or role == "target" or reviewing):
            out["vouch"] = data["vouch"]
    elif event.kind == "declined" and data.get("reason"):
        position = upstream_of.get(event.attempt)
        upstream = role == "requester" or (position is not None and event.position is not None
                                           and position < event.position)
        if own or upstream:
            out["reason"] = data["reason"]
    elif event.kind == "advised" and (own or role == "requester"):
        out["advice"] = data.get("advice", "")
    elif event.kind in ("accepted", "rejected") and data.get("message") and (
            role in ("requester", "target")):
        out["message"] = data["message"]
    elif event.kind == "blocked" and role in ("requester", "moderator"):
        out["reason"] = data.get("reason", "")  # the moderators wrote it for the requester
    elif event.kind == "thanked" and role != "moderator":
        out["message"] = data.get("message", "")
    position = event.position
    if role == "requester" and event.attempt in stopped:
        # An attempt that stopped: who carried it how far would point at who stopped it.
        actor = actor if own else None
        position = None
        out.pop("to", None)
    return {"id": event.id, "kind": event.kind, "at": event.created_at,
            "attempt": event.attempt, "position": position, "actor": actor, "data": out}


def introduction_view(session: Session, instance: Instance, intro: Introduction,
                      viewer: Member) -> dict[str, Any]:
    """The request as ``viewer`` may see it (call ``access_introduction`` first)."""
    return introduction_views(session, instance, [intro], viewer)[0]


def introduction_views(session: Session, instance: Instance, intros: list[Introduction],
                       viewer: Member) -> list[dict[str, Any]]:
    """``introduction_view`` of each request of a list, in three queries whatever its length:
    the hops, the events and the people of every request are read together."""
    if not intros:
        return []
    ids = [intro.id for intro in intros]
    hops: dict[int, list[IntroductionHop]] = {i: [] for i in ids}
    for hop in session.scalars(select(IntroductionHop).where(
            IntroductionHop.instance_id == instance.id,
            IntroductionHop.introduction_id.in_(ids)).order_by(
            IntroductionHop.attempt, IntroductionHop.position)):
        hops[hop.introduction_id].append(hop)
    events: dict[int, list[IntroductionEvent]] = {i: [] for i in ids}
    for event in session.scalars(select(IntroductionEvent).where(
            IntroductionEvent.instance_id == instance.id,
            IntroductionEvent.introduction_id.in_(ids)).order_by(IntroductionEvent.id)):
        events[event.introduction_id].append(event)
    people_ids: set[int] = set()
    for intro in intros:
        people_ids |= {m for m in intro.path if m > 0} | {intro.requester_id}
        if intro.target_id is not None:
            people_ids.add(intro.target_id)
        people_ids |= {e.actor_id for e in events[intro.id] if e.actor_id is not None}
        people_ids |= {e.data["to"] for e in events[intro.id]
                       if isinstance((e.data or {}).get("to"), int)}
    people = members_by_id(session, instance, list(people_ids))
    review: dict[int, list[str]] = {}
    if viewer.is_moderator:  # requests staff are no part of: are they under review?
        apart = [i for i in intros if _role(i, viewer, any(
            h.member_id == viewer.id for h in hops[i.id])) == "moderator"]
        review = under_review(session, instance, apart)
    return [_view(session, instance, intro, viewer, hops[intro.id], events[intro.id], people,
                  review.get(intro.id, [])) for intro in intros]


def _view(session: Session, instance: Instance, intro: Introduction, viewer: Member,
          hops: list[IntroductionHop], events: list[IntroductionEvent],
          people: dict[int, Member], review: list[str]) -> dict[str, Any]:
    """One request as ``viewer`` may see it, from its rows already read (``review``: why it
    is under review, for staff who are no part of it)."""
    mine = [h for h in hops if h.member_id == viewer.id]
    role = _role(intro, viewer, bool(mine))
    reviewing = role == "moderator" and bool(review)
    shown = visible_path_ids(session, instance, intro, viewer, people)
    upstream_of: dict[int, int | None] = {h.attempt: h.position for h in mine}
    stopped = {e.attempt for e in events if e.kind in ("declined", "expired")}
    blind = role == "requester" and intro.status in STOPPED_STATUSES
    blocks = [e for e in events if e.kind == "blocked"]
    block_reason = str((blocks[-1].data or {}).get("reason") or "") if blocks and role in (
        "requester", "moderator") else ""
    if role == "requester":
        # Of an attempt that stopped, the requester sees their own steps and that it stopped:
        # how many forwards came first would give the position of who stopped it.
        events = [e for e in events if e.attempt not in stopped or e.actor_id == viewer.id
                  or e.kind in ("declined", "expired")]
    if role == "target":
        upstream_of = {}
    current = [h for h in hops if h.attempt == intro.attempt]
    holding = intro.status == IN_PROGRESS and intro.holder_id == viewer.id
    note = ""
    if holding:
        note = next((h.note_from_previous for h in current
                     if h.position == intro.current_hop), "")
    elif role == "target":
        last = [e for e in events if e.kind in ("forwarded", "rerouted")
                and e.attempt == intro.attempt and (e.data or {}).get("to") == viewer.id]
        note = last[-1].data.get("note", "") if last else ""
    vouches = []
    if role == "target" or mine:
        for hop in current:
            if hop.vouch and (role == "target" or hop.member_id == viewer.id):
                vouches.append({"by": people.get(hop.member_id) if hop.member_id in shown
                                else None, "text": hop.vouch})
    contact = None
    remote = intro.remote_target
    if intro.status == ACCEPTED and role in ("requester", "target"):
        if remote is not None:  # their address on their server: what connects them
            contact = {"name": remote.name, "handle": remote.handle, "url": remote.url}
        else:
            other = people[intro.requester_id if role == "target" or intro.target_id is None
                           else intro.target_id]
            contact = {"name": other.name, "email": other.email}
    return {
        "introduction": intro, "id": intro.id, "status": intro.status, "role": role,
        "purpose": intro.purpose,
        "message": intro.message if role != "moderator" or reviewing else "",
        "under_review": review if role == "moderator" else [], "attempt": intro.attempt,
        "hops": intro.hops, "links": intro.links,
        "current_hop": None if blind else intro.current_hop,
        "requester": people.get(intro.requester_id),
        "target": people.get(intro.target_id) if intro.target_id is not None else None,
        "remote_target": {"id": remote.uri, "name": remote.name, "handle": remote.handle,
                          "server": remote.server, "url": remote.url} if remote else None,
        "across": _across(instance, intro, role, shown),
        "chain": [people.get(m) if m in shown and not blind else None
                  for m in intro.path[1:-1]],
        "holder": people.get(intro.holder_id) if intro.holder_id in shown else None,
        "deadline": intro.hop_deadline if holding or role in ("requester", "moderator")
        else None,
        "can_act": holding,
        "can_answer": role == "target" and intro.status == DELIVERED,
        "can_thank": role == "target" and intro.status == ACCEPTED,
        "can_withdraw": role == "requester" and INTRODUCTION.allows(intro.status, WITHDRAWN),
        "can_retry": role == "requester" and intro.status in RETRYABLE_STATUSES,
        "note": note, "vouches": vouches,
        "advice": intro.advice if role == "requester" or any(
            h.status == ADVISED_HOP for h in mine) else "",
        "outcome_message": intro.outcome_message if role in ("requester", "target") else "",
        "contact": contact, "block_reason": block_reason,
        "created_at": intro.created_at, "delivered_at": intro.delivered_at,
        "closed_at": intro.closed_at,
        "events": [_event_view(e, viewer, role, shown=shown, people=people,
                               upstream_of=upstream_of, stopped=stopped,
                               reviewing=reviewing) for e in events],
    }
