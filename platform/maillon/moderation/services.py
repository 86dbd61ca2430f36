"""Staff roles and the audit log.

Role checks are ``access_*`` functions that every staff service calls first, with the instance
and the acting member named explicitly (the CLI and the worker call the same services). Every
staff action writes an :class:`AuditEntry` through :func:`record_audit` into the session of the
action itself, so the row and the change commit (or roll back) together, as Zulip's ``do_*``
functions write their ``RealmAuditLog`` rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import begin_read, begin_write
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.moderation.models import AUDIT_ACTIONS, AuditEntry
from maillon.pagination import MAX_ID
from maillon.tenancy.models import Instance
from maillon.validation import day_arg

#: The most rows one CSV export holds (newest first); narrow the filters for older ones.
EXPORT_LIMIT = 20_000

R = TypeVar("R")


# ---------------------------------------------------------------------- roles


def access_staff(instance: Instance, member: Member | None, *, admin: bool = False) -> Member:
    """The acting member if they are a moderator (or, with ``admin``, an admin) of this
    instance. Someone of another instance is told nothing (404); a member of this one, 403."""
    if member is None or member.instance_id != instance.id:
        # A ServiceError (the callers' one except clause) that reads as a missing row.
        raise ServiceError("not_found", _("Not found."), status=404)
    if member.status != "active" or not (member.is_admin if admin else member.is_moderator):
        raise Forbidden("forbidden", _("Only administrators can do this.") if admin
                        else _("Only moderators and administrators can do this."))
    return member


def access_for_staff(session: Session, instance: Instance, staff: Member, model: type[R],
                     row_id: int) -> R:
    """A row of ``model`` (a report, an appeal) of this instance, for its staff: 403 for a
    member, 404 when it is not here (another instance's id included)."""
    access_staff(instance, staff)
    if not 0 < row_id <= MAX_ID:
        raise NotFound()
    table: Any = model  # a tenant-scoped mapped class: ``instance_id`` and ``id``
    row: R | None = session.scalar(select(table).where(table.instance_id == instance.id,
                                                       table.id == row_id))
    if row is None:
        raise NotFound()
    return row


def is_staff(instance: Instance, member: Member | None) -> bool:
    """Whether the member moderates this instance (the layout's staff menu asks)."""
    return (member is not None and member.instance_id == instance.id
            and member.status == "active" and member.is_moderator)


# ---------------------------------------------------------------------- writing


def record_audit(session: Session, instance: Instance, actor: Member | None, action: str, *,
                 subject: Member | None = None, subject_type: str = "",
                 subject_id: int | None = None, subject_name: str = "", reason: str = "",
                 ip: str = "", **data: Any) -> AuditEntry:
    """Add one audit row to the caller's transaction (the caller commits with its change).

    ``subject`` is the member acted upon; ``subject_type``/``subject_id`` name another row
    (an introduction, an invitation). Names are copied: the row outlives the accounts."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")  # a bug in the caller
    if subject is not None:
        subject_type = subject_type or "member"
        subject_id = subject_id if subject_id is not None else subject.id
        subject_name = subject_name or subject.name
    entry = AuditEntry(instance_id=instance.id, actor_id=actor.id if actor else None,
                       actor_name=actor.name if actor else "", action=action,
                       subject_member_id=subject.id if subject is not None else None,
                       subject_type=subject_type, subject_id=subject_id,
                       subject_name=subject_name[:120], reason=reason, ip=(ip or "")[:45],
                       data=data)
    session.add(entry)
    return entry


# ---------------------------------------------------------------------- reading


@dataclass(frozen=True)
class AuditFilter:
    """What the log is narrowed to; every field optional. Dates are whole UTC days."""

    actor_id: int | None = None
    action: str | None = None
    subject_member_id: int | None = None
    since: date | None = None
    until: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filter as query arguments (links to other pages and to the export)."""
        values = {"actor": self.actor_id, "action": self.action,
                  "subject": self.subject_member_id, "since": self.since, "until": self.until}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _id_arg(value: str, field: str, fields: dict[str, str]) -> int | None:
    if not value:
        return None
    if value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    fields[field] = _("Give a member number.")
    return None


def parse_audit_filter(args: Mapping[str, str]) -> AuditFilter:
    """The filter from query arguments ``actor, action, subject, since, until``, or
    ValidationFailed naming each bad one."""
    fields: dict[str, str] = {}
    action = (args.get("action") or "").strip() or None
    if action is not None and action not in AUDIT_ACTIONS:
        fields["action"] = _("Choose an action from the list.")
    actor = _id_arg((args.get("actor") or "").strip(), "actor", fields)
    subject = _id_arg((args.get("subject") or "").strip(), "subject", fields)
    since = day_arg((args.get("since") or "").strip(), "since", fields)
    until = day_arg((args.get("until") or "").strip(), "until", fields)
    if since and until and since > until:
        fields["until"] = _("The end of the range comes before its start.")
    if fields:
        raise ValidationFailed(fields)
    return AuditFilter(actor_id=actor, action=action, subject_member_id=subject, since=since,
                       until=until)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _audit_query(instance: Instance, filters: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.instance_id == instance.id)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    if filters.subject_member_id is not None:
        query = query.where(AuditEntry.subject_member_id == filters.subject_member_id)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= _day_start(filters.since))
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < _day_start(filters.until + timedelta(days=1)))
    return query


def list_audit_entries(session: Session, instance: Instance, viewer: Member,
                       filters: AuditFilter, *, page: int = 1, per_page: int = 50
                       ) -> tuple[int, list[AuditEntry]]:
    """A page of the instance's audit log, newest first (admins only)."""
    access_staff(instance, viewer, admin=True)
    query = _audit_query(instance, filters)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return total, list(rows)


def list_audit_actors(session: Session, instance: Instance, viewer: Member
                      ) -> list[tuple[int, str]]:
    """Everyone who has a row in the log, as (id, name), for the filter (admins only)."""
    access_staff(instance, viewer, admin=True)
    rows = session.execute(select(AuditEntry.actor_id, func.max(AuditEntry.actor_name)).where(
        AuditEntry.instance_id == instance.id, AuditEntry.actor_id.is_not(None))
        .group_by(AuditEntry.actor_id).order_by(func.max(AuditEntry.actor_name)))
    return [(int(actor_id or 0), name) for actor_id, name in rows]


CSV_COLUMNS = ("id", "created_at", "actor_id", "actor_name", "action", "subject_member_id",
               "subject_type", "subject_id", "subject_name", "reason", "ip")


def _cell(value: Any) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): such text gets a quote."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) \
        else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_audit_csv(session: Session, instance: Instance, viewer: Member,
                     filters: AuditFilter, *, ip: str = "") -> str:
    """The filtered log as CSV (newest first, at most ``EXPORT_LIMIT`` rows); the export is
    itself audited."""
    access_staff(instance, viewer, admin=True)
    begin_write(session)  # reached by a GET: the audit row needs a write transaction
    record_audit(session, instance, viewer, "audit_exported", ip=ip, filters=filters.as_args())
    session.commit()
    begin_read(session)
    rows = session.scalars(_audit_query(instance, filters).order_by(
        AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(EXPORT_LIMIT))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return out.getvalue()


def audit_dict(entry: AuditEntry) -> dict[str, Any]:
    """An audit row as the API shows it."""
    return {"id": entry.id, "created_at": entry.created_at.isoformat(),
            "actor": {"id": entry.actor_id, "name": entry.actor_name},
            "action": entry.action,
            "subject": {"type": entry.subject_type or None, "id": entry.subject_id,
                        "member_id": entry.subject_member_id, "name": entry.subject_name},
            "reason": entry.reason, "ip": entry.ip, "data": entry.data}
