"""Introductions whose last hop crosses to another server (decision 56).

The target is a person on another server (a ``RemoteActor``) who is connected to a local
member M. The chain runs locally to M as any chain; the path ends with ``-remote_target_id``
(remote people are never member ids, decision 47b). When M forwards, the request is handed
across: an ``Offer{Relationship}`` (FEDERATION.md §4) addressed only to the remote person,
signed by M's key, through the deliveries outbox; the request then waits ("delivered") with a
deadline like a relay's turn. Their ``Accept`` of that Offer accepts it (the requester and
they connect by mutual Follow, everyone on the chain is told); their ``Reject`` turns it down;
no answer before the deadline takes the timeout path.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import utcnow
from maillon.errors import Forbidden, ServiceError
from maillon.federation import urls
from maillon.federation.connections import AS_CONTEXT, queue_follow, receive_answer
from maillon.federation.delivery import queue_delivery
from maillon.federation.inbox import HANDLERS
from maillon.federation.lifecycle import (
    CONNECTED,
    IGNORED,
    PENDING,
    PROCESSED,
    REMOTE_CONNECTION,
    REQUESTED,
)
from maillon.federation.membership import find_published_member
from maillon.federation.models import InboxActivity, RemoteActor, RemoteConnection
from maillon.federation.policy import federates
from maillon.introductions.lifecycle import (
    ACCEPTED,
    DECLINED,
    DELIVERED,
    INTRODUCTION,
    REJECTED,
)
from maillon.introductions.models import Introduction, IntroductionEvent
from maillon.introductions.records import hop_deadline, hops_of, record_event
from maillon.members.models import Member
from maillon.network.services import are_connected
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)

#: The JSON-LD terms of Maillon's introductions (FEDERATION.md §4); one namespace for every
#: server, so that two Maillon servers read each other's terms as the same ones.
PN_NAMESPACE = "https://maillon.org/ns#"
PN_CONTEXT = {
    "pn": PN_NAMESPACE,
    "IntroductionRequest": "pn:IntroductionRequest",
    "hop": "pn:hop",
    "maxHops": "pn:maxHops",
    "introducedVia": {"@id": "pn:introducedVia", "@type": "@id"},
}
ACQUAINTANCE = "http://purl.org/vocab/relationship/acquaintanceOf"
#: How many of the remote person's local contacts are weighed as the last local relay.
MAX_INTRODUCERS = 20


def remote_node(remote_id: int) -> int:
    """The remote person's place in an introduction's path (never a member id)."""
    return -remote_id


def find_remote_target(session: Session, instance: Instance, remote_id: int
                       ) -> RemoteActor | None:
    """The instance's row for a person on another server, by id (another instance's: None)."""
    return session.scalar(select(RemoteActor).where(RemoteActor.instance_id == instance.id,
                                                    RemoteActor.id == remote_id))


def introducers(session: Session, instance: Instance, remote: RemoteActor) -> list[Member]:
    """Local members who can carry a request across to ``remote``: connected to them, active,
    relaying, and reachable from other servers (their Offer is checked against their key)."""
    members = session.scalars(
        select(Member).join(RemoteConnection, RemoteConnection.member_id == Member.id).where(
            RemoteConnection.instance_id == instance.id, Member.instance_id == instance.id,
            RemoteConnection.remote_actor_id == remote.id,
            RemoteConnection.status == CONNECTED, Member.status == "active",
            Member.relaying == "open").order_by(Member.id).limit(MAX_INTRODUCERS)).all()
    return [m for m in members
            if find_published_member(session, instance, member_id=m.id) is not None]


def _not_reachable() -> Forbidden:
    return Forbidden("target_not_reachable", _(
        "No chain of contacts reaches this person at the moment."))


def check_requester(session: Session, instance: Instance, requester: Member) -> None:
    """The requester must be reachable from other servers: on acceptance the person on the
    other server and they connect by Follow, checked against the requester's key."""
    if not federates(session, instance):
        raise Forbidden("federation_off", _(
            "This community does not exchange with other servers."))
    if find_published_member(session, instance, member_id=requester.id) is None:
        raise Forbidden("not_federated", _(
            "First let people on other servers reach your profile (Settings, Other servers)."))


def plan_crossing(session: Session, instance: Instance, requester: Member, remote: RemoteActor,
                  *, via_member_id: int | None = None, avoid: list[int] | None = None
                  ) -> list[int]:
    """The path of a request to ``remote``: the best local chain to one of their local
    contacts (``via_member_id`` if given), then across. Fewest links first, then the chance
    the requester is shown, then the contact's id."""
    from maillon.introductions.routing import chains_between

    if session.scalar(select(RemoteConnection.id).where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == requester.id,
            RemoteConnection.remote_actor_id == remote.id,
            RemoteConnection.status == CONNECTED)) is not None:
        raise ServiceError("already_connected", _("You are already connected with them."),
                           status=422, fields={"remote_target_id": "connected"})
    skip = set(avoid or ())
    candidates = [m for m in introducers(session, instance, remote)
                  if m.id != requester.id and m.id not in skip]
    if via_member_id is not None:
        candidates = [m for m in candidates if m.id == via_member_id]
    # The remote hop counts as one link of the instance's cap.
    budget = int(instance.setting("introductions.max_hops")) - 1
    best: tuple[tuple[int, float, int], list[int]] | None = None
    for member in candidates:
        if are_connected(session, instance, requester.id, member.id):
            nodes, score = [requester.id, member.id], (1, -1.0, member.id)
        elif budget >= 2:
            found = chains_between(session, instance, requester.id, member.id,
                                   max_hops=budget, k=1, avoid=skip)
            if not found:
                continue
            nodes = list(found[0].nodes)
            score = (len(nodes) - 1, -found[0].probability, member.id)
        else:
            continue
        if best is None or score < best[0]:
            best = (score, nodes)
    if best is None:
        raise _not_reachable()
    return [*best[1], remote_node(remote.id)]


def _paragraphs(*texts: str) -> str:
    return "".join(f"<p>{html.escape(t)}</p>" for t in texts if t)


def offer_activity(session: Session, instance: Instance, intro: Introduction, carrier: Member,
                   remote: RemoteActor, vouch: str) -> dict[str, Any]:
    """The Offer the last local relay sends across (FEDERATION.md §4): addressed only to the
    remote person, never public; its id is stable per attempt (a repeat queues nothing)."""
    me = urls.member_actor(instance, carrier.id)
    requester = urls.member_actor(instance, intro.requester_id)
    entry = intro.remote_entry
    if entry is None:
        said = _("%(requester)s would like to be introduced to you, through %(carrier)s.",
                 requester=intro.requester.name, carrier=carrier.name)
    elif carrier.id == intro.requester_id:  # their own contact there carries it on
        said = _("%(requester)s would like to be introduced to %(target)s.",
                 requester=intro.requester.name, target=remote.name)
    else:  # the chain continues on their server (decision 61): to the entry, for the target
        said = _("%(requester)s would like to be introduced to %(target)s, through "
                 "%(carrier)s.", requester=intro.requester.name, target=remote.name,
                 carrier=carrier.name)
    vouched = _("%(carrier)s vouches: %(vouch)s", carrier=carrier.name, vouch=vouch) \
        if vouch else ""
    return {
        "@context": [AS_CONTEXT, PN_CONTEXT],
        "id": f"{me}/introductions/{intro.id}/{intro.attempt}",
        "type": ["Offer", "IntroductionRequest"],
        "actor": me,
        "to": [(entry or remote).uri],
        "target": remote.uri,
        "object": {"type": "Relationship", "subject": requester,
                   "relationship": ACQUAINTANCE, "object": remote.uri},
        "content": _paragraphs(said, intro.message, vouched),
        # Links made so far, the one across included (the entry's, or the target's).
        "hop": intro.hops,
        "maxHops": int(instance.setting("introductions.max_hops")),
        "introducedVia": me,
    }


def hand_across(session: Session, instance: Instance, intro: Introduction, carrier: Member,
                vouch: str) -> None:
    """The last local relay forwarded: the Offer goes out (in the caller's transaction) and
    the request waits for the remote person's answer until a relay's deadline."""
    remote = intro.remote_target
    assert remote is not None
    if find_published_member(session, instance, member_id=carrier.id) is None:
        raise Forbidden("not_federated", _(
            "First let people on other servers reach your profile (Settings, Other servers)."))
    entry = intro.remote_entry
    offers = entry is not None or remote.accepts_introductions
    if offers:
        offer = offer_activity(session, instance, intro, carrier, remote, vouch)
    else:  # not a server that knows introductions (Mastodon): a direct message
        offer = note_activity(session, instance, intro, carrier, remote, vouch)
    queue_delivery(session, instance, carrier, offer, [(entry or remote).inbox])
    now = utcnow()
    # What their answer, or our withdrawal, names: the Offer, or the Note (not its Create).
    intro.offer_id = offer["id"] if offers else offer["object"]["id"]
    intro.current_hop = intro.hops
    intro.holder_id = None
    INTRODUCTION.apply(intro, DELIVERED)
    intro.delivered_at = now
    # Each person over there has a relay's time, the target too.
    turns = len(intro.remote_beyond or ()) + 2 if entry is not None else 1
    intro.hop_deadline = now + (hop_deadline(instance, now) - now) * turns
    record_event(session, intro, "delivered", None, position=intro.hops,
                 remote=remote.handle, sent="offer" if offers else "note",
                 **({"entry": entry.handle} if entry is not None else {}))


def note_activity(session: Session, instance: Instance, intro: Introduction, carrier: Member,
                  remote: RemoteActor, vouch: str) -> dict[str, Any]:
    """The fallback for servers that ignore Offers (decision 56b): ``Create{Note}`` addressed
    only to the person (a direct message on Mastodon), mentioning them, with the message, the
    vouch, and that following the requester accepts."""
    me = urls.member_actor(instance, carrier.id)
    requester = find_published_member(session, instance, member_id=intro.requester_id)
    handle = f"@{requester[1].handle}@{urls.handle_domain(instance)}" if requester else ""
    profile = f"{urls.origin(instance)}/members/{intro.requester_id}"
    said = _("%(requester)s would like to be introduced to you, through %(carrier)s.",
             requester=intro.requester.name, carrier=carrier.name)
    vouched = _("%(carrier)s vouches: %(vouch)s", carrier=carrier.name, vouch=vouch) \
        if vouch else ""
    how = _("To accept, follow %(handle)s (%(profile)s): they will be told, and you will be "
            "connected. To decline, do nothing.", handle=handle, profile=profile)
    mention = f"@{remote.handle}"
    link = html.escape(remote.url or remote.uri, quote=True)
    note_id = f"{me}/introductions/{intro.id}/{intro.attempt}"
    return {
        "@context": AS_CONTEXT,
        "id": f"{note_id}/create",
        "type": "Create",
        "actor": me,
        "to": [remote.uri],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": me,
            "to": [remote.uri],
            "published": utcnow().isoformat().replace("+00:00", "Z"),
            "content": f'<p><span class="h-card"><a href="{link}" class="u-url mention">'
                       f"{html.escape(mention)}</a></span></p>"
                       + _paragraphs(said, intro.message, vouched, how),
            "tag": [{"type": "Mention", "href": remote.uri, "name": mention}],
        },
    }


def withdraw_across(session: Session, instance: Instance, intro: Introduction) -> None:
    """The requester withdraws a request waiting on the other server: ``Undo`` of the Offer
    (their Maillon server drops the request), or ``Delete`` of the direct message, signed by
    the relay who sent it, in the caller's transaction."""
    from maillon.introductions.records import members_by_id

    remote = intro.remote_entry or intro.remote_target
    carrier_id = intro.path[-2]
    carrier = members_by_id(session, instance, [carrier_id]).get(carrier_id)
    if remote is None or carrier is None or not intro.offer_id:
        return
    me = urls.member_actor(instance, carrier.id)
    sent = session.scalar(select(IntroductionEvent.data).where(
        IntroductionEvent.introduction_id == intro.id, IntroductionEvent.attempt == intro.attempt,
        IntroductionEvent.kind == "delivered").order_by(IntroductionEvent.id.desc()).limit(1))
    activity: dict[str, Any]
    if (sent or {}).get("sent") == "note":
        activity = {"@context": AS_CONTEXT, "id": f"{intro.offer_id}/delete", "type": "Delete",
                    "actor": me, "to": [remote.uri],
                    "object": {"id": intro.offer_id, "type": "Tombstone"}}
    else:
        activity = {"@context": [AS_CONTEXT, PN_CONTEXT], "id": f"{intro.offer_id}/undo",
                    "type": "Undo", "actor": me, "to": [remote.uri],
                    "object": {"id": intro.offer_id, "type": ["Offer", "IntroductionRequest"],
                               "actor": me}}
    queue_delivery(session, instance, carrier, activity, [remote.inbox])


# ------------------------------------------------------------------------- their answer


def _offer_named(payload: dict[str, Any]) -> str | None:
    answered = payload.get("object")
    offer_id = answered.get("id") if isinstance(answered, dict) else answered
    return offer_id if isinstance(offer_id, str) else None


def _chain(session: Session, intro: Introduction) -> list[Member]:
    return [hop.member for hop in hops_of(session, intro, intro.attempt)]


def receive_offer_answer(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Accept or Reject: of an Offer of ours (only from the person it was addressed
    to, while it waits), else of a Follow (``connections.receive_answer``)."""

    offer_id = _offer_named(row.payload)
    prefix = urls.member_actor(instance, 0)[:-1]
    if offer_id is None or not offer_id.startswith(prefix) or "/introductions/" not in offer_id:
        return str(receive_answer(session, instance, row))
    intro = session.scalar(
        select(Introduction).where(Introduction.instance_id == instance.id,
                                   Introduction.offer_id == offer_id).with_for_update())
    target, entry = (intro.remote_target, intro.remote_entry) if intro else (None, None)
    by_target = target is not None and target.uri == row.actor
    # On a chain that continues there, its entry answers when it stopped on their side.
    by_entry = entry is not None and entry.uri == row.actor and row.type == "Reject"
    if intro is None or not (by_target or by_entry):
        log.info("answer %s names no Offer of ours sent to %s", row.activity_id, row.actor)
        return IGNORED
    outcome = ACCEPTED if row.type == "Accept" else REJECTED if by_target else DECLINED
    if intro.status != DELIVERED or not INTRODUCTION.allows(intro.status, outcome):
        log.info("answer %s to introduction %s, already %s", row.activity_id, intro.id,
                 intro.status)
        return IGNORED
    from maillon.federation.text import plain_text

    conclude(session, instance, intro, outcome, plain_text(row.payload.get("content"), 2000))
    return PROCESSED


def conclude(session: Session, instance: Instance, intro: Introduction, outcome: str,
             message: str) -> None:
    """The remote person answered (accepted or rejected): the request closes, everyone on the
    chain is told, and on acceptance the requester and they connect."""
    from maillon.introductions.signals import introduction_accepted, introduction_rejected

    if outcome == DECLINED:
        stopped_over_there(session, intro)
        return
    intro.outcome_message = message
    INTRODUCTION.apply(intro, outcome)
    intro.holder_id = None
    intro.hop_deadline = None
    intro.closed_at = utcnow()
    record_event(session, intro, outcome, None, position=intro.hops,
                 message=intro.outcome_message)
    told = introduction_accepted if outcome == ACCEPTED else introduction_rejected
    told.send(session, introduction=intro, actor=None,
              recipients=[intro.requester, *_chain(session, intro)])
    if outcome == ACCEPTED:
        assert intro.remote_target is not None
        connect_after_introduction(session, instance, intro.requester, intro.remote_target)


def stopped_over_there(session: Session, intro: Introduction) -> None:
    """Someone on the other server's part of the chain declined, or let it lapse (their
    entry's Reject says which of them never): the request stopped on the way, and the
    requester may try again around that entry, as after a decline here."""
    from maillon.introductions.signals import introduction_declined

    assert intro.remote_entry_id is not None
    INTRODUCTION.apply(intro, DECLINED)
    intro.avoid = [*intro.avoid, -intro.remote_entry_id]
    intro.holder_id = None
    intro.hop_deadline = None
    intro.closed_at = utcnow()
    record_event(session, intro, "declined", None, position=intro.hops)
    introduction_declined.send(session, introduction=intro, actor=None,
                               recipients=[intro.requester])


def connect_after_introduction(session: Session, instance: Instance, member: Member,
                               remote: RemoteActor) -> None:
    """An accepted introduction connects ``member`` and the remote person: the member's
    Follow, in the caller's transaction (the other side's Follow, or their Accept, makes it
    mutual, as for any remote connection); their waiting Follow is accepted instead."""
    from maillon.federation.connections import queue_answer
    from maillon.federation.outgoing import send_follow

    requester = member
    connection = session.scalar(select(RemoteConnection).where(
        RemoteConnection.instance_id == instance.id,
        RemoteConnection.member_id == requester.id,
        RemoteConnection.remote_actor_id == remote.id))
    if connection is not None and connection.status in (PENDING, CONNECTED):
        return
    if connection is not None and connection.status == REQUESTED:
        now = utcnow()
        queue_answer(session, instance, requester, connection, remote, accept=True, now=now)
        REMOTE_CONNECTION.apply(connection, CONNECTED)
        queue_follow(session, instance, requester, connection, remote, now)
        return
    now = utcnow()
    if connection is None:
        connection = RemoteConnection(instance_id=instance.id, member_id=requester.id,
                                      remote_actor_id=remote.id)
        REMOTE_CONNECTION.apply(connection, PENDING)
        session.add(connection)
        session.flush()
    else:
        REMOTE_CONNECTION.apply(connection, PENDING)
    send_follow(session, instance, requester, connection, remote, now)


def receive_follow_or_acceptance(session: Session, instance: Instance, row: InboxActivity
                                 ) -> str:
    """Their Follow of a member (``connections.receive_follow``); if it comes from the person
    an introduction of that member waits on, it accepts the introduction (what the direct
    message asked: following the requester accepts), and their Follow is accepted."""
    from maillon.federation.connections import receive_follow

    status = str(receive_follow(session, instance, row))
    target = row.payload.get("object")
    if status != PROCESSED or not isinstance(target, str):
        return status
    prefix = urls.member_actor(instance, 0)[:-1]
    member_id = target[len(prefix):] if target.startswith(prefix) else ""
    if not member_id.isdigit() or len(member_id) >= 12:
        return status
    intro = session.scalar(
        select(Introduction).join(RemoteActor, RemoteActor.id == Introduction.remote_target_id)
        .where(Introduction.instance_id == instance.id,
               Introduction.requester_id == int(member_id), Introduction.status == DELIVERED,
               RemoteActor.instance_id == instance.id, RemoteActor.uri == row.actor)
        .with_for_update())
    if intro is not None:
        conclude(session, instance, intro, ACCEPTED, "")
    return status


HANDLERS.update({"Accept": receive_offer_answer, "Reject": receive_offer_answer,
                 "Follow": receive_follow_or_acceptance})


def remote_target_of(session: Session, instance: Instance, remote_id: int) -> RemoteActor:
    """``find_remote_target`` or a 404."""
    remote = find_remote_target(session, instance, remote_id)
    if remote is None:
        raise NotFound()
    return remote

