"""Introductions that reach a member from another server (decision 56a).

A member of another server (the *carrier*), connected with one of our members, forwards them
someone's request as ``Offer{Relationship}`` (``type`` ``["Offer", "IntroductionRequest"]``,
FEDERATION.md §4). The inbox has checked its signature and that its actor is the signer, and
keeps one row per activity id. Here the Offer becomes an ``IncomingIntroduction`` only if it is
addressed to a member reachable from other servers who takes introductions, and its actor is
one of that member's active remote connections; anything else is ignored with a logged reason.
The member accepts (``Accept{Offer}`` to the carrier, and the member's Follow of the requester,
which connects them as any remote connection) or declines (``Reject{Offer}``); answering again
changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, utcnow
from maillon.errors import Conflict
from maillon.federation import urls
from maillon.federation.connections import AS_CONTEXT, find_remote_actor
from maillon.federation.delivery import queue_delivery
from maillon.federation.fetch import FetchFailed
from maillon.federation.inbox import HANDLERS
from maillon.federation.lifecycle import CONNECTED, IGNORED, PROCESSED
from maillon.federation.membership import find_published_member
from maillon.federation.models import InboxActivity, RemoteActor, RemoteConnection
from maillon.federation.text import plain_text
from maillon.introductions.crossing import connect_after_introduction
from maillon.introductions.lifecycle import (
    INCOMING,
    INCOMING_ACCEPTED,
    INCOMING_DECLINED,
    INCOMING_WAITING,
    INCOMING_WITHDRAWN,
)
from maillon.introductions.models import IncomingIntroduction
from maillon.introductions.routing import contact_policy
from maillon.members.models import Member
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)
MAX_CONTENT = 4000
#: Requests from other servers that may wait for one member at once (a flood guard).
MAX_WAITING = 200


def _ignored(row: InboxActivity, reason: str) -> str:
    log.info("introduction offer %s from %s ignored: %s", row.activity_id, row.actor, reason)
    return IGNORED


def _uri(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) \
        else None


def _find(session: Session, instance: Instance, offer_id: str) -> IncomingIntroduction | None:
    return session.scalar(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id,
        IncomingIntroduction.offer_id == offer_id))


def receive_introduction(session: Session, instance: Instance, row: InboxActivity) -> str:
    """An introduction Offer for one of our members: a request they answer, if it is addressed
    to a reachable member who takes introductions, from one of their connections."""
    from maillon.federation.connections import _learn_actor

    offer = row.payload
    relationship = offer.get("object")
    if not isinstance(relationship, dict) or relationship.get("type") != "Relationship":
        return _ignored(row, "no Relationship")
    addressee = _uri(relationship.get("object"))
    requester_uri = _uri(relationship.get("subject"))
    to = offer.get("to")
    recipients = to if isinstance(to, list) else [to]
    if addressee is None or requester_uri is None or addressee not in recipients:
        return _ignored(row, "not addressed to the person it introduces to")
    prefix = urls.member_actor(instance, 0)[:-1]
    member_id = addressee[len(prefix):] if addressee.startswith(prefix) else ""
    found = (find_published_member(session, instance, member_id=int(member_id))
             if member_id.isdigit() and len(member_id) < 12 else None)
    if found is None:
        return _ignored(row, "not a member reachable from other servers")
    member = found[0]
    if not contact_policy(member).get("introductions", True):
        return _ignored(row, "the member takes no introductions")
    carrier = session.scalar(
        select(RemoteActor).join(RemoteConnection,
                                 RemoteConnection.remote_actor_id == RemoteActor.id)
        .where(RemoteConnection.instance_id == instance.id,
               RemoteActor.instance_id == instance.id, RemoteActor.uri == row.actor,
               RemoteConnection.member_id == member.id, RemoteConnection.status == CONNECTED))
    if carrier is None:
        return _ignored(row, "its actor is not a connection of the member")
    if requester_uri in (row.actor, addressee):
        return _ignored(row, "it introduces someone to themselves")
    if _find(session, instance, row.activity_id) is not None:
        return PROCESSED  # the same Offer again (a retry with a new activity row)
    waiting = session.scalars(select(IncomingIntroduction.id).where(
        IncomingIntroduction.instance_id == instance.id,
        IncomingIntroduction.member_id == member.id,
        IncomingIntroduction.status == INCOMING_WAITING).limit(MAX_WAITING)).all()
    if len(waiting) >= MAX_WAITING:
        return _ignored(row, "too many requests wait for the member")
    member_id_int, carrier_id, offer_id = member.id, carrier.id, row.activity_id
    content = plain_text(offer.get("content"), MAX_CONTENT)
    requester = find_remote_actor(session, instance, requester_uri)
    if requester is None:
        session.commit()  # no transaction held while fetching who asks
        now = utcnow()
        try:
            requester = _learn_actor(session, instance, requester_uri, now)
        except FetchFailed:
            session.rollback()
            raise  # the job retries later
        raced = flush_or_find(session, lambda: find_remote_actor(session, instance,
                                                                 requester_uri))
        requester = raced or requester
    incoming = IncomingIntroduction(instance_id=instance.id, member_id=member_id_int,
                                    carrier_id=carrier_id, requester_id=requester.id,
                                    offer_id=offer_id, content=content)
    INCOMING.apply(incoming, INCOMING_WAITING)
    session.add(incoming)
    if flush_or_find(session, lambda: _find(session, instance, offer_id)) is None:
        _tell(session, instance, incoming)
    return PROCESSED


def _tell(session: Session, instance: Instance, incoming: IncomingIntroduction) -> None:
    """The member learns that a request waits (in-app, and by e-mail as they chose for
    introductions that reach them); no local actor: the names are in the data."""
    from maillon.notifications.services import notify

    member = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                 Member.id == incoming.member_id))
    requester = _remote_actor(session, instance, incoming.requester_id)
    carrier = _remote_actor(session, instance, incoming.carrier_id)
    if member is None or requester is None or carrier is None:
        return
    from maillon.federation.local import server_label

    notify(session, instance, member, "introduction_from_other_server", subject=incoming,
           data={"requester": requester.name, "server": server_label(requester.uri),
                 "carrier": carrier.name, "content": incoming.content})


def _remote_actor(session: Session, instance: Instance, actor_id: int
                            ) -> RemoteActor | None:
    return session.scalar(select(RemoteActor).where(RemoteActor.instance_id == instance.id,
                                                    RemoteActor.id == actor_id))


def receive_undo_or_withdrawal(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Undo: of an introduction Offer they sent (the request is withdrawn, if it still
    waits), else of a Follow (``connections.receive_undo``)."""
    from maillon.federation.connections import receive_undo

    undone = row.payload.get("object")
    offer_id = undone.get("id") if isinstance(undone, dict) else undone
    incoming = session.scalar(
        select(IncomingIntroduction).join(
            RemoteActor, RemoteActor.id == IncomingIntroduction.carrier_id)
        .where(IncomingIntroduction.instance_id == instance.id,
               IncomingIntroduction.offer_id == offer_id,
               RemoteActor.instance_id == instance.id,
               RemoteActor.uri == row.actor)  # only who sent it takes it back
        .with_for_update()) if isinstance(offer_id, str) else None
    if incoming is None:
        return str(receive_undo(session, instance, row))
    if incoming.status != INCOMING_WAITING:
        return IGNORED  # answered already: the answer stands
    INCOMING.apply(incoming, INCOMING_WITHDRAWN)
    incoming.answered_at = utcnow()
    return PROCESSED


HANDLERS.update({"IntroductionRequest": receive_introduction,
                 "Undo": receive_undo_or_withdrawal})


# ---------------------------------------------------------------------- the member's side


def list_incoming_introductions(session: Session, instance: Instance, member: Member
                                ) -> list[IncomingIntroduction]:
    """The member's requests from other servers, waiting first, then the newest (at most
    MAX_WAITING)."""
    return list(session.scalars(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id,
        IncomingIntroduction.member_id == member.id).order_by(
        (IncomingIntroduction.status != INCOMING_WAITING), IncomingIntroduction.created_at.desc(),
        IncomingIntroduction.id.desc()).limit(MAX_WAITING)))


def access_incoming_introduction(session: Session, instance: Instance, member: Member,
                                 incoming_id: int) -> IncomingIntroduction:
    """One of the member's own; anyone else's, or another instance's, is a 404."""
    found = session.scalar(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id,
        IncomingIntroduction.member_id == member.id, IncomingIntroduction.id == incoming_id)
        .with_for_update())
    if found is None:
        raise NotFound()
    return found


def answer_incoming_introduction(session: Session, instance: Instance, member: Member,
                                 incoming_id: int, *, accept: bool) -> IncomingIntroduction:
    """Accept (``Accept{Offer}`` to the carrier, and the member's Follow of the requester) or
    decline (``Reject{Offer}``); the same answer again changes nothing."""
    incoming = access_incoming_introduction(session, instance, member, incoming_id)
    wanted = INCOMING_ACCEPTED if accept else INCOMING_DECLINED
    if incoming.status == wanted:
        session.commit()
        return incoming
    if not INCOMING.allows(incoming.status, wanted):
        raise Conflict("already_answered", _("You have already answered this request."))
    now = utcnow()
    me = urls.member_actor(instance, member.id)
    carrier, requester = incoming.carrier, incoming.requester
    answer = {
        "@context": AS_CONTEXT,
        "id": f"{me}/introduction-answers/{incoming.id}",
        "type": "Accept" if accept else "Reject",
        "actor": me,
        "to": [carrier.uri],
        "cc": [requester.uri],
        "object": {"id": incoming.offer_id, "type": "Offer", "actor": carrier.uri},
    }
    queue_delivery(session, instance, member, answer, [carrier.inbox])
    INCOMING.apply(incoming, wanted)
    incoming.answered_at = now
    if accept:
        connect_after_introduction(session, instance, member, requester)
    session.commit()
    return incoming
