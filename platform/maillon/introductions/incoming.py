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
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden
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
    INCOMING_OPEN,
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


def published_member_at(session: Session, instance: Instance, uri: str | None
                        ) -> Member | None:
    """Our member whose actor id is ``uri``, if other servers may reach them (opted in,
    active, listed): a hidden member is as absent as an unknown id."""
    prefix = urls.member_actor(instance, 0)[:-1]
    member_id = uri[len(prefix):] if uri is not None and uri.startswith(prefix) else ""
    found = (find_published_member(session, instance, member_id=int(member_id))
             if member_id.isdigit() and len(member_id) < 12 else None)
    return found[0] if found is not None else None


def connected_carrier(session: Session, instance: Instance, member: Member, actor: str
                      ) -> RemoteActor | None:
    """The sender, if they are one of ``member``'s connected contacts on other servers."""
    return session.scalar(
        select(RemoteActor).join(RemoteConnection,
                                 RemoteConnection.remote_actor_id == RemoteActor.id)
        .where(RemoteConnection.instance_id == instance.id,
               RemoteActor.instance_id == instance.id, RemoteActor.uri == actor,
               RemoteConnection.member_id == member.id, RemoteConnection.status == CONNECTED))


def too_many_waiting(session: Session, instance: Instance, member: Member) -> bool:
    """The flood guard: requests from other servers that wait on (or for) one member."""
    waiting = session.scalars(select(IncomingIntroduction.id).where(
        IncomingIntroduction.instance_id == instance.id,
        IncomingIntroduction.member_id == member.id,
        IncomingIntroduction.status.in_(INCOMING_OPEN)).limit(MAX_WAITING)).all()
    return len(waiting) >= MAX_WAITING


def learn_requester(session: Session, instance: Instance, requester_uri: str) -> RemoteActor:
    """The requester's row, fetched (outside any transaction) the first time we meet them;
    a failed fetch raises ``FetchFailed`` (the job retries later)."""
    from maillon.federation.connections import _learn_actor

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
    return requester


def receive_introduction(session: Session, instance: Instance, row: InboxActivity) -> str:
    """An introduction Offer for one of our members: a request they answer, if it is addressed
    to a reachable member who takes introductions, from one of their connections. Addressed
    to one of our members who is not the person it introduces to, it is a chain that
    continues here (``incoming_relay``, decision 62)."""
    offer = row.payload
    relationship = offer.get("object")
    if not isinstance(relationship, dict) or relationship.get("type") != "Relationship":
        return _ignored(row, "no Relationship")
    addressee = _uri(relationship.get("object"))
    requester_uri = _uri(relationship.get("subject"))
    to = offer.get("to")
    recipients = to if isinstance(to, list) else [to]
    if addressee is None or requester_uri is None:
        return _ignored(row, "not addressed to the person it introduces to")
    if addressee not in recipients:
        from maillon.introductions.incoming_relay import receive_relayed

        return receive_relayed(session, instance, row, recipients, addressee, requester_uri)
    member = published_member_at(session, instance, addressee)
    if member is None:
        return _ignored(row, "not a member reachable from other servers")
    if not contact_policy(member).get("introductions", True):
        return _ignored(row, "the member takes no introductions")
    carrier = connected_carrier(session, instance, member, row.actor)
    if carrier is None:
        return _ignored(row, "its actor is not a connection of the member")
    if requester_uri in (row.actor, addressee):
        return _ignored(row, "it introduces someone to themselves")
    if _find(session, instance, row.activity_id) is not None:
        return PROCESSED  # the same Offer again (a retry with a new activity row)
    if too_many_waiting(session, instance, member):
        return _ignored(row, "too many requests wait for the member")
    member_id_int, carrier_id, offer_id = member.id, carrier.id, row.activity_id
    content = plain_text(offer.get("content"), MAX_CONTENT)
    requester = learn_requester(session, instance, requester_uri)
    incoming = IncomingIntroduction(instance_id=instance.id, member_id=member_id_int,
                                    carrier_id=carrier_id, requester_id=requester.id,
                                    offer_id=offer_id, content=content)
    INCOMING.apply(incoming, INCOMING_WAITING)
    session.add(incoming)
    if flush_or_find(session, lambda: _find(session, instance, offer_id)) is None:
        _tell(session, instance, incoming)
    return PROCESSED


def _tell(session: Session, instance: Instance, incoming: IncomingIntroduction,
          passed_by: Member | None = None) -> None:
    """The person it is for learns that a request waits (in-app, and by e-mail as they chose
    for introductions that reach them); no local actor: the names are in the data.
    ``passed_by``: the relay here who passed it to them, when the chain continued here."""
    from maillon.notifications.services import notify

    member = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                 Member.id == incoming.answerer_id))
    requester = _remote_actor(session, instance, incoming.requester_id)
    carrier = _remote_actor(session, instance, incoming.carrier_id)
    if member is None or requester is None or carrier is None:
        return
    from maillon.federation.local import server_label

    data: dict[str, Any] = {"requester": requester.name,
                            "server": server_label(requester.uri),
                            "carrier": carrier.name, "content": incoming.content}
    if passed_by is not None:
        data.update(carrier=passed_by.name, relayed=True)
    notify(session, instance, member, "introduction_from_other_server", subject=incoming,
           data=data)


def _remote_actor(session: Session, instance: Instance, actor_id: int
                            ) -> RemoteActor | None:
    return session.scalar(select(RemoteActor).where(RemoteActor.instance_id == instance.id,
                                                    RemoteActor.id == actor_id))


def receive_undo_or_withdrawal(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Undo: of an introduction Offer they sent (the request is withdrawn, if it still
    waits or travels here, whoever holds it), else of a Follow (``connections.receive_undo``)."""
    from maillon.federation.connections import receive_undo
    from maillon.introductions.incoming_relay import end_turns_on_withdrawal

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
    if incoming.status not in INCOMING_OPEN:
        return IGNORED  # answered or stopped already: that stands
    now = utcnow()
    end_turns_on_withdrawal(session, instance, incoming, now)
    INCOMING.apply(incoming, INCOMING_WITHDRAWN)
    incoming.answered_at = now
    return PROCESSED


HANDLERS.update({"IntroductionRequest": receive_introduction,
                 "Undo": receive_undo_or_withdrawal})


# ---------------------------------------------------------------------- the member's side


def visible_to(member: Member) -> Any:
    """Who may see a request from another server: the member it was for (decision 56a), or,
    when the chain continues here (decision 62), every relay who held it and the target once
    it reached them."""
    from maillon.introductions.models import IncomingIntroductionTurn as Turn

    held = exists().where(Turn.incoming_id == IncomingIntroduction.id,
                          Turn.member_id == member.id)
    return or_(IncomingIntroduction.target_id.is_(None)
               & (IncomingIntroduction.member_id == member.id),
               (IncomingIntroduction.target_id == member.id)
               & IncomingIntroduction.delivered_at.is_not(None),
               held)


def list_incoming_introductions(session: Session, instance: Instance, member: Member
                                ) -> list[IncomingIntroduction]:
    """The member's requests from other servers (to answer, or held as a relay here), those
    still open first, then the newest (at most MAX_WAITING)."""
    return list(session.scalars(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id, visible_to(member)).order_by(
        IncomingIntroduction.status.not_in(INCOMING_OPEN),
        IncomingIntroduction.created_at.desc(),
        IncomingIntroduction.id.desc()).limit(MAX_WAITING)))


def access_incoming_introduction(session: Session, instance: Instance, member: Member,
                                 incoming_id: int) -> IncomingIntroduction:
    """One the member may see, locked; anyone else's, or another instance's, is a 404."""
    found = session.scalar(select(IncomingIntroduction).where(
        IncomingIntroduction.instance_id == instance.id, IncomingIntroduction.id == incoming_id,
        visible_to(member)).with_for_update().execution_options(populate_existing=True))
    if found is None:
        raise NotFound()
    return found


def answer_incoming_introduction(session: Session, instance: Instance, member: Member,
                                 incoming_id: int, *, accept: bool) -> IncomingIntroduction:
    """The person it is for accepts (``Accept{Offer}`` to the carrier, signed by them, and
    their Follow of the requester) or declines (``Reject{Offer}``); the same answer again
    changes nothing. A relay here declining is ``incoming_relay.decline_turn``."""
    from maillon.introductions.incoming_relay import tell_passers

    incoming = access_incoming_introduction(session, instance, member, incoming_id)
    if incoming.answerer_id != member.id:
        raise Forbidden("not_target", _("Only the member this request is for can answer it."))
    wanted = INCOMING_ACCEPTED if accept else INCOMING_DECLINED
    if incoming.status == wanted:
        session.commit()
        return incoming
    if not INCOMING.allows(incoming.status, wanted):
        raise Conflict("already_answered", _("You have already answered this request."))
    now = utcnow()
    send_answer(session, instance, incoming, member, accept=accept)
    INCOMING.apply(incoming, wanted)
    incoming.answered_at = now
    if accept:
        connect_after_introduction(session, instance, member, incoming.requester)
    tell_passers(session, instance, incoming, "accepted" if accept else "rejected")
    session.commit()
    return incoming


def send_answer(session: Session, instance: Instance, incoming: IncomingIntroduction,
                signer: Member, *, accept: bool) -> None:
    """``Accept`` or ``Reject`` of the Offer, signed by ``signer`` (the person it is for, or
    the entry relay when it stops on the way here), to the carrier, in the caller's
    transaction. It carries no reason: why anyone here said no stays here."""
    me = urls.member_actor(instance, signer.id)
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
    queue_delivery(session, instance, signer, answer, [carrier.inbox])
