"""Enqueue jobs in the caller's transaction; claim and run them in workers.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers share the queue; on
SQLite every transaction begins IMMEDIATE, which serialises claims. A job whose worker died
(running for longer than ``STALE_AFTER``) is queued again. Handlers must be idempotent: a job
may run twice if a worker dies after the work but before marking it done.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.jobs.models import Job

log = logging.getLogger(__name__)

Handler = Callable[[Session, Job], None]
HANDLERS: dict[str, Handler] = {}
# Periodic tasks run by workers: name → (interval in seconds, fn(session)).
PERIODIC: dict[str, tuple[float, Callable[[Session], None]]] = {}
STALE_AFTER = timedelta(minutes=10)


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def periodic(name: str, every_seconds: float
             ) -> Callable[[Callable[[Session], None]], Callable[[Session], None]]:
    """Register a task every worker runs about every ``every_seconds`` (must be idempotent:
    with several workers it may run more often)."""

    def register(fn: Callable[[Session], None]) -> Callable[[Session], None]:
        PERIODIC[name] = (every_seconds, fn)
        return fn

    return register


def enqueue(session: Session, kind: str, payload: dict[str, Any], *,
            instance_id: int | None = None, delay: timedelta | None = None,
            dedupe_key: str | None = None) -> Job | None:
    """Add a job to the session; the caller's commit writes it with the change that caused it.

    With ``dedupe_key``, a job still queued under the same key absorbs this one.
    """
    if kind not in HANDLERS:
        raise LookupError(f"no handler for job kind {kind!r}")
    if dedupe_key is not None:
        for pending in session.new:
            if isinstance(pending, Job) and pending.dedupe_key == dedupe_key:
                return None
        queued = session.scalar(
            select(Job.id).where(Job.dedupe_key == dedupe_key, Job.status == "queued").limit(1)
        )
        if queued is not None:
            return None
    job = Job(kind=kind, payload=payload, instance_id=instance_id, dedupe_key=dedupe_key,
              run_after=utcnow() + (delay or timedelta()))
    session.add(job)
    return job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_next(session: Session, worker: str,
               kinds: tuple[str, ...] | None = None) -> Job | None:
    now = utcnow()
    stmt = (select(Job).where(Job.status == "queued", Job.run_after <= now)
            .order_by(Job.run_after, Job.id).limit(1))
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(kinds))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job = session.scalar(stmt)
    if job is None:
        session.commit()
        return None
    job.status = "running"
    job.locked_by = worker
    job.locked_at = now
    job.attempts += 1
    session.commit()
    return job


def requeue_stale(session: Session) -> int:
    """Jobs left running by a dead worker go back to the queue."""
    result = session.execute(
        update(Job)
        .where(Job.status == "running", Job.locked_at < utcnow() - STALE_AFTER)
        .values(status="queued", locked_by=None, locked_at=None)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def requeue_orphans(session: Session) -> int:
    """Jobs left running by a worker of this machine that no longer exists (killed, crashed)
    go back to the queue at once, instead of after ``STALE_AFTER``."""
    host = socket.gethostname()
    rows = session.execute(select(Job.id, Job.locked_by).where(
        Job.status == "running", Job.locked_by.like(f"{host}:%"))).all()
    orphans = []
    for job_id, locked_by in rows:
        _, _, rest = str(locked_by).partition(":")
        pid = rest.partition(":")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            orphans.append(job_id)
    if orphans:
        session.execute(update(Job).where(Job.id.in_(orphans), Job.status == "running")
                        .values(status="queued", locked_by=None, locked_at=None))
        log.warning("re-queued %d jobs of dead workers on this machine", len(orphans))
    session.commit()
    return len(orphans)


def run_job(session: Session, job: Job) -> bool:
    """Run one claimed job; return True on success. Failures retry with backoff."""
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        handler(session, job)
        session.commit()
    except Exception:
        session.rollback()
        error = traceback.format_exc(limit=8)
        log.warning("job %s (%s) failed, attempt %s", job.id, job.kind, job.attempts,
                    exc_info=True)
        job = session.get(Job, job.id)  # type: ignore[assignment]
        job.last_error = error[-4000:]
        job.locked_by = None
        if job.attempts >= job.max_attempts:
            job.status = "failed"
            job.finished_at = utcnow()
        else:
            job.status = "queued"
            job.run_after = utcnow() + timedelta(seconds=min(2 ** job.attempts, 3600))
        session.commit()
        return False
    if job not in session:  # a handler that cleared the session (a rebuild) detached it
        job = session.merge(job)
    job.status = "done"
    job.finished_at = utcnow()
    job.locked_by = None
    session.commit()
    return True


def run_pending(session: Session, limit: int = 100, worker: str | None = None,
                kinds: tuple[str, ...] | None = None) -> int:
    """Drain up to ``limit`` ready jobs (of these ``kinds`` only, if given); return how many
    ran."""
    worker = worker or worker_name()
    ran = 0
    while ran < limit:
        job = claim_next(session, worker, kinds)
        if job is None:
            break
        run_job(session, job)
        ran += 1
    return ran
