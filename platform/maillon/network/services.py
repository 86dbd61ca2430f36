"""Connections: request, accept, decline, withdraw, remove, and each side's private trust.

One row per pair and instance (a unique constraint), so a repeated request or acceptance
returns the first outcome instead of a duplicate. Every change to the set of connections or to
a rating appends a row to ``connection_changes`` in the same transaction: the graph service of
every process applies them by watermark.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, utcnow
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.members.services import access_member
from maillon.moderation.sanctions import check_not_limited
from maillon.network.lifecycle import (
    CONNECTED,
    CONNECTION,
    DECLINED,
    LIVE_STATUSES,
    PENDING,
    REMOVED,
    WITHDRAWN,
)
from maillon.network.models import TRUST_MAX, TRUST_MIN, Connection, ConnectionChange
from maillon.network.signals import connection_accepted, connection_requested
from maillon.network.validation import ConnectionRequest
from maillon.tenancy.models import Instance
from maillon.validation import check

NETWORK_SIZE_ADVICE = 150  # Dunbar's number: past it, a reminder, never a cap.


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def find_connection_between(session: Session, instance: Instance, a: int, b: int
                            ) -> Connection | None:
    low, high = _pair(a, b)
    return session.scalar(select(Connection).where(
        Connection.instance_id == instance.id, Connection.low_id == low,
        Connection.high_id == high))


def are_connected(session: Session, instance: Instance, a: int, b: int) -> bool:
    row = find_connection_between(session, instance, a, b)
    return row is not None and row.status == CONNECTED


def access_connection(session: Session, instance: Instance, member: Member,
                      connection_id: int) -> Connection:
    """A connection the member is a party to; anything else (or another instance's) is 404."""
    row = session.scalar(select(Connection).where(
        Connection.instance_id == instance.id, Connection.id == connection_id,
        or_(Connection.requester_id == member.id, Connection.addressee_id == member.id)))
    if row is None:
        raise NotFound()
    return row


def log_connection_change(session: Session, row: Connection, kind: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Changelog ids must become visible in order for the graph watermark: serialise the
        # instance's network writes (SQLite already serialises every writer).
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                        {"k": 7_000_000 + row.instance_id})
    session.add(ConnectionChange(
        instance_id=row.instance_id, kind=kind, a=row.requester_id, b=row.addressee_id,
        trust_ab=row.trust_requester if kind != "remove" else None,
        trust_ba=row.trust_addressee if kind != "remove" else None))


def count_pending_sent(session: Session, instance: Instance, member: Member) -> int:
    return int(session.scalar(select(func.count(Connection.id)).where(
        Connection.instance_id == instance.id, Connection.requester_id == member.id,
        Connection.status == PENDING)) or 0)


def request_connection(session: Session, instance: Instance, requester: Member,
                       target_id: int, message: str = "") -> Connection:
    """Ask to connect. Repeating returns the same request; if the other side had already
    asked, this accepts their request (both want it)."""
    target = access_member(session, instance, requester, target_id)
    check_not_limited(session, instance, requester)
    if target.id == requester.id:
        raise ServiceError("cannot_connect_self", _("You cannot connect with yourself."),
                           status=422, fields={"member_id": "yourself"})
    message = check(ConnectionRequest, {"message": message}).message
    row = find_connection_between(session, instance, requester.id, target.id)
    if row is not None and row.status in LIVE_STATUSES:
        if row.status == PENDING and row.addressee_id == requester.id:
            return accept_connection(session, instance, requester, row.id)
        return row
    quota = int(instance.setting("quotas.pending_connection_requests"))
    if count_pending_sent(session, instance, requester) >= quota:
        raise Forbidden("quota_exceeded", _(
            "You have %(n)d invitations waiting for an answer: wait for some of them first.",
            n=quota))
    if row is None:
        low, high = _pair(requester.id, target.id)
        row = Connection(instance_id=instance.id, low_id=low, high_id=high)
        session.add(row)
    CONNECTION.apply(row, PENDING)
    row.requester_id, row.addressee_id = requester.id, target.id
    row.message = message
    row.created_at, row.responded_at, row.connected_at = utcnow(), None, None
    row.trust_requester = row.trust_addressee = 3
    row.rated_requester = row.rated_addressee = False
    # A concurrent identical request may have won the race: then it is replayed.
    existing = flush_or_find(session, lambda: find_connection_between(
        session, instance, requester.id, target.id))
    if existing is not None:
        if existing.status == PENDING and existing.addressee_id == requester.id:
            # The other side asked at the same moment: both want it.
            return accept_connection(session, instance, requester, existing.id)
        return existing
    connection_requested.send(session, connection=row, actor=requester)
    session.commit()
    return row


def _invitation(session: Session, instance: Instance, member: Member, connection_id: int,
                answer: str, refusal: str) -> tuple[Connection, bool]:
    """The invitation the invited ``member`` answers with ``answer`` (connected or declined),
    and whether it already has that answer (a repeat, which changes nothing)."""
    row = access_connection(session, instance, member, connection_id)
    if row.status == answer:
        return row, True
    if not CONNECTION.allows(row.status, answer) or row.addressee_id != member.id:
        raise Forbidden("not_allowed", refusal)
    return row, False


def accept_connection(session: Session, instance: Instance, member: Member,
                      connection_id: int, trust: int | None = None) -> Connection:
    """Accept an invitation (only the invited member); repeating replays the acceptance."""
    row, repeat = _invitation(session, instance, member, connection_id, CONNECTED,
                              _("Only the invited member can accept this invitation."))
    if repeat:
        return row
    if trust is not None:
        row.trust_addressee = _check_trust(trust)
        row.rated_addressee = True
    CONNECTION.apply(row, CONNECTED)
    row.responded_at = row.connected_at = utcnow()
    log_connection_change(session, row, "add")
    connection_accepted.send(session, connection=row, actor=member)
    session.commit()
    return row


def decline_connection(session: Session, instance: Instance, member: Member,
                       connection_id: int) -> Connection:
    """Decline an invitation (only the invited member); repeating changes nothing."""
    row, repeat = _invitation(session, instance, member, connection_id, DECLINED,
                              _("Only the invited member can decline this invitation."))
    if not repeat:
        CONNECTION.apply(row, DECLINED)
        row.responded_at = utcnow()
        session.commit()
    return row


def remove_connection(session: Session, instance: Instance, member: Member,
                      connection_id: int) -> None:
    """Remove a connection (either side), or withdraw one's own pending invitation."""
    row = access_connection(session, instance, member, connection_id)
    if row.status == CONNECTED:
        CONNECTION.apply(row, REMOVED)
        row.responded_at = utcnow()
        log_connection_change(session, row, "remove")
    elif row.status == PENDING:
        CONNECTION.apply(row, WITHDRAWN if row.requester_id == member.id else DECLINED)
        row.responded_at = utcnow()
    session.commit()


def _check_trust(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            TRUST_MIN <= value <= TRUST_MAX):
        raise ValidationFailed({"trust": _("Choose a whole number from 1 to 5.")})
    return value


def set_trust(session: Session, instance: Instance, member: Member, connection_id: int,
              trust: int) -> Connection:
    """Rate one's own side of a connection (private to the member)."""
    trust = _check_trust(trust)
    row = access_connection(session, instance, member, connection_id)
    if row.status != CONNECTED:
        raise Forbidden("not_connected", _("You can rate only your connections."))
    if member.id == row.requester_id:
        changed = row.trust_requester != trust
        row.trust_requester, row.rated_requester = trust, True
    else:
        changed = row.trust_addressee != trust
        row.trust_addressee, row.rated_addressee = trust, True
    if changed:
        log_connection_change(session, row, "trust")
    session.commit()
    return row


def list_connections(session: Session, instance: Instance, member: Member, *,
                     status: str | None = None, direction: str | None = None,
                     page: int = 1, per_page: int = 50) -> tuple[int, list[Connection]]:
    """The member's connections (or invitations: status pending, direction in|out)."""
    query = select(Connection).where(
        Connection.instance_id == instance.id,
        or_(Connection.requester_id == member.id, Connection.addressee_id == member.id))
    if status:
        query = query.where(Connection.status == status)
    else:
        query = query.where(Connection.status.in_(LIVE_STATUSES))
    if direction == "in":
        query = query.where(Connection.addressee_id == member.id)
    elif direction == "out":
        query = query.where(Connection.requester_id == member.id)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    # Both sides in the same query: every caller shows ``row.other(member.id)`` for each row.
    rows = list(session.scalars(query.options(
        joinedload(Connection.requester, innerjoin=True),
        joinedload(Connection.addressee, innerjoin=True))
        .order_by(Connection.created_at.desc(), Connection.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)))
    return total, rows


def connection_ids(session: Session, instance: Instance, member_id: int) -> list[int]:
    """Ids of the member's first-degree connections, from the database."""
    rows = session.execute(select(Connection.requester_id, Connection.addressee_id).where(
        Connection.instance_id == instance.id, Connection.status == CONNECTED,
        or_(Connection.requester_id == member_id, Connection.addressee_id == member_id)))
    return [b if a == member_id else a for a, b in rows]


def count_connections(session: Session, instance: Instance, member_id: int) -> int:
    return int(session.scalar(select(func.count(Connection.id)).where(
        Connection.instance_id == instance.id, Connection.status == CONNECTED,
        or_(Connection.requester_id == member_id, Connection.addressee_id == member_id))) or 0)
