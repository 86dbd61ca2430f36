"""Invitations in bulk from a CSV file (admins): a preview that names the problem of each
row, then sending by the worker, a chunk per job, with counts a progress page reads.

The file: one address per row, in a column headed ``email`` (also ``e-mail``, ``mail``,
``courriel``, any case) or, without such a header, the first cell that holds an ``@``;
commas or semicolons. Rows with a problem are skipped, never half-sent; an address invited
before gets a new link (the old one stops working), as the one-at-a-time invitation does.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.accounts.models import INVITATION_BATCH, InvitationBatch
from maillon.accounts.services import invite_address
from maillon.db import begin_read, begin_write, utcnow
from maillon.errors import ValidationFailed
from maillon.jobs.models import Job
from maillon.jobs.services import enqueue, job_handler
from maillon.members.models import Member
from maillon.moderation.services import access_staff, is_staff
from maillon.tenancy.models import Instance

MAX_ROWS = 1000
MAX_BYTES = 256 * 1024
#: Rows one job sends before handing over to the next (the progress moves by this much):
#: each renders an e-mail inside the job's write transaction, so the chunk stays small.
CHUNK = 20
EMAIL_HEADERS = ("email", "e-mail", "mail", "courriel", "adresse", "address")
PROBLEMS = ("invalid", "duplicate", "member", "domain")


def _cells(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text),
                                                             delimiter=delimiter)]


def parse_csv(text: str) -> list[tuple[int, str]]:
    """``(line, address as written)`` for every non-empty row, or ValidationFailed."""
    if len(text.encode()) > MAX_BYTES:
        raise ValidationFailed({"file": _("The file is larger than %(size)d kB.",
                                          size=MAX_BYTES // 1024)})
    try:
        rows = _cells(text.lstrip("\ufeff"))
    except csv.Error:
        raise ValidationFailed({"file": _("This is not a CSV file.")}) from None
    column: int | None = None
    if rows and rows[0]:
        named = [c.lower() for c in rows[0]]
        column = next((i for i, c in enumerate(named) if c in EMAIL_HEADERS), None)
        if column is not None:
            rows = [[]] + rows[1:]  # keep line numbers, drop the header
    found = []
    for line, row in enumerate(rows, start=1):
        if not any(row):
            continue
        if column is not None:
            value = row[column] if column < len(row) else ""
        else:
            value = next((c for c in row if "@" in c), row[0])
        found.append((line, value))
    if not found:
        raise ValidationFailed({"file": _("The file has no address.")})
    if len(found) > MAX_ROWS:
        raise ValidationFailed({"file": _("At most %(num)d addresses at a time; this file "
                                          "has %(count)d.", num=MAX_ROWS, count=len(found))})
    return found


def _checked(session: Session, instance: Instance, found: list[tuple[int, str]]
             ) -> list[dict[str, Any]]:
    domains = instance.setting("registration.email_domains")
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, value in found:
        try:
            email = validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            rows.append({"line": line, "email": value[:254], "problem": "invalid",
                         "outcome": None})
            continue
        problem = None
        if email in seen:
            problem = "duplicate"
        elif domains and email.rpartition("@")[2] not in domains:
            problem = "domain"
        seen.setdefault(email, line)
        rows.append({"line": line, "email": email, "problem": problem, "outcome": None})
    wanted = [r["email"] for r in rows if r["problem"] is None]
    members = set()
    for start in range(0, len(wanted), 500):
        members |= set(session.scalars(select(Member.email).where(
            Member.instance_id == instance.id, Member.email.in_(wanted[start:start + 500]))))
    for row in rows:
        if row["problem"] is None and row["email"] in members:
            row["problem"] = "member"
    return rows


def preview_batch(session: Session, instance: Instance, admin: Member | None, text: str, *,
                  filename: str = "") -> InvitationBatch:
    """Check every row of the file and keep the result as a draft the admin confirms."""
    access_staff(instance, admin, admin=True)
    begin_read(session)  # reading and checking up to 1,000 rows: no write lock meanwhile
    rows = _checked(session, instance, parse_csv(text))
    begin_write(session)
    batch = InvitationBatch(instance_id=instance.id, created_by_id=admin.id if admin else None,
                            filename=filename[:200], rows=rows, total=len(rows),
                            ready=sum(r["problem"] is None for r in rows))
    session.add(batch)
    session.commit()
    return batch


def access_batch(session: Session, instance: Instance, admin: Member | None,
                 batch_id: int) -> InvitationBatch:
    access_staff(instance, admin, admin=True)
    batch = session.scalar(select(InvitationBatch).where(
        InvitationBatch.instance_id == instance.id, InvitationBatch.id == batch_id))
    if batch is None:
        raise NotFound()
    return batch


def send_batch(session: Session, instance: Instance, admin: Member | None, batch_id: int, *,
               ip: str = "") -> InvitationBatch:
    """Confirm a draft: the worker sends it. A second confirmation sends nothing more."""
    batch = access_batch(session, instance, admin, batch_id)
    if batch.status != "draft":
        return batch
    claimed = session.execute(update(InvitationBatch).where(
        InvitationBatch.id == batch.id, InvitationBatch.status == "draft").values(
        status="sending", sent_at=utcnow()).execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:  # another request confirmed it first
        session.rollback()
        return access_batch(session, instance, admin, batch_id)
    enqueue(session, "invitation_batch", {"batch_id": batch.id, "ip": ip[:45]},
            instance_id=instance.id)
    session.commit()
    session.refresh(batch)
    return batch


@job_handler("invitation_batch")
def run_batch(session: Session, job: Job) -> None:
    """Send the next chunk of a confirmed batch, then queue the rest as another job."""
    instance = session.get(Instance, job.instance_id) if job.instance_id else None
    if instance is None:
        return
    batch = session.scalar(select(InvitationBatch).where(
        InvitationBatch.instance_id == instance.id,
        InvitationBatch.id == job.payload["batch_id"]).with_for_update())
    if batch is None or batch.status != "sending":
        return
    inviter = session.get(Member, batch.created_by_id) if batch.created_by_id else None
    # Only while they are an active admin of this instance does anyone send in their name.
    sender = inviter if inviter is not None and is_staff(instance, inviter) \
        and inviter.is_admin else None
    rows = [dict(r) for r in batch.rows]
    todo = [r for r in rows if r["outcome"] is None]
    for row in todo[:CHUNK]:
        if row["problem"] is not None:
            row["outcome"] = "skipped"
        elif sender is None:
            row["outcome"] = "failed"
            batch.failed += 1
        else:
            invite_address(session, instance, sender, row["email"], ip=job.payload.get("ip", ""),
                           batch_id=batch.id)
            row["outcome"] = "invited"
            batch.invited += 1
    batch.rows = rows
    if len(todo) > CHUNK:
        enqueue(session, "invitation_batch", dict(job.payload), instance_id=instance.id)
    else:
        INVITATION_BATCH.apply(batch, "done")
        batch.finished_at = utcnow()


def batch_dict(batch: InvitationBatch) -> dict[str, Any]:
    handled = sum(r["outcome"] is not None for r in batch.rows)
    return {"id": batch.id, "status": batch.status, "filename": batch.filename,
            "created_at": batch.created_at.isoformat(), "total": batch.total,
            "ready": batch.ready, "handled": handled, "invited": batch.invited,
            "skipped": sum(r["outcome"] == "skipped" for r in batch.rows),
            "failed": batch.failed,
            "sent_at": batch.sent_at.isoformat() if batch.sent_at else None,
            "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
            "problems": [{"line": r["line"], "email": r["email"], "problem": r["problem"]}
                         for r in batch.rows if r["problem"] is not None]}


def recent_batches(session: Session, instance: Instance, admin: Member | None,
                   limit: int = 10) -> list[InvitationBatch]:
    access_staff(instance, admin, admin=True)
    return list(session.scalars(select(InvitationBatch).where(
        InvitationBatch.instance_id == instance.id, InvitationBatch.status != "draft"
    ).order_by(InvitationBatch.id.desc()).limit(limit)))
