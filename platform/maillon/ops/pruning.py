"""Periodic pruning of rows nobody needs any more, in small batches.

Each batch selects at most ``BATCH`` keys, deletes them (the condition repeated, so a row
that changed meanwhile stays) and commits: a run never holds the write lock for long, and on
SQLite it pauses between batches so that waiting writers get in. A run deletes at most
``MAX_BATCHES`` batches per kind of row; a larger backlog goes on the next run.

The connection changelog needs care (docs/graph.md): a process starts from the newest graph
snapshot saved under ``var/graph/<slug>/`` and applies the rows after its watermark, and a
running process applies the rows after its own. So only rows *below* the newest snapshot's
watermark go, and only once older than a grace period that lets running processes catch up.
The row at the watermark itself stays: the graph service compares a snapshot with the newest
change id to spot a snapshot from another database.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from maillon.accounts.models import INVITATION_BATCH, ApiToken, InvitationBatch, LoginSession
from maillon.api.idempotency import KEY_TTL
from maillon.api.models import IdempotencyKey
from maillon.db import settings, utcnow
from maillon.jobs.models import Job
from maillon.jobs.services import periodic
from maillon.network.graph import graphs
from maillon.network.models import ConnectionChange
from maillon.operators.models import OperatorSession
from maillon.ops.models import WorkerHeartbeat
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600
BATCH = 1000
MAX_BATCHES = 20
SQLITE_PAUSE_SECONDS = 0.1  # longer than SQLite's longest busy-handler sleep
HEARTBEAT_RETENTION = timedelta(days=1)  # a worker name is host:pid:thread, new each start
# A previewed CSV of invitations never sent: its addresses are not kept past a week.
DRAFT_BATCH_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Retention:
    """How long finished or dead rows are kept, from the RETENTION_* process settings."""

    done_jobs: timedelta
    failed_jobs: timedelta
    changes_grace: timedelta
    sessions: timedelta
    api_tokens: timedelta
    api_token_idle: timedelta  # API_TOKEN_DAYS: an unused token stops working after it

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Retention:
        """Read and check the settings; a negative or non-numeric one is a ValueError."""
        values: dict[str, float] = {}
        for name in ("RETENTION_DONE_JOBS_DAYS", "RETENTION_FAILED_JOBS_DAYS",
                     "RETENTION_CHANGES_GRACE_HOURS", "RETENTION_SESSIONS_DAYS",
                     "RETENTION_API_TOKENS_DAYS", "API_TOKEN_DAYS"):
            try:
                values[name] = float(config[name])
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, not {config[name]!r}") from None
            if not values[name] >= 0:  # also refuses NaN
                raise ValueError(f"{name} must be 0 or more, not {config[name]!r}")
        return cls(done_jobs=timedelta(days=values["RETENTION_DONE_JOBS_DAYS"]),
                   failed_jobs=timedelta(days=values["RETENTION_FAILED_JOBS_DAYS"]),
                   changes_grace=timedelta(hours=values["RETENTION_CHANGES_GRACE_HOURS"]),
                   sessions=timedelta(days=values["RETENTION_SESSIONS_DAYS"]),
                   api_tokens=timedelta(days=values["RETENTION_API_TOKENS_DAYS"]),
                   api_token_idle=timedelta(days=values["API_TOKEN_DAYS"]))


def delete_in_batches(session: Session, model: type[Any], key: InstrumentedAttribute[Any],
                      condition: ColumnElement[bool], *, batch: int = BATCH,
                      max_batches: int = MAX_BATCHES, pause: float | None = None) -> int:
    """Delete the rows of ``model`` matching ``condition``, ``batch`` per transaction."""
    if pause is None:
        pause = SQLITE_PAUSE_SECONDS if session.get_bind().dialect.name == "sqlite" else 0.0
    total = 0
    for n in range(max_batches):
        if n and pause:
            time.sleep(pause)
        keys = list(session.scalars(select(key).where(condition).order_by(key).limit(batch)))
        if keys:
            result = session.execute(delete(model).where(key.in_(keys), condition),
                                     execution_options={"synchronize_session": False})
            total += int(getattr(result, "rowcount", 0) or 0)
        session.commit()
        if len(keys) < batch:
            break
    return total


def prune_jobs(session: Session, retention: Retention, now: datetime, **batching: Any
               ) -> dict[str, int]:
    """Done jobs after ``done_jobs``, failed ones after the longer ``failed_jobs``."""
    return {
        "jobs_done": delete_in_batches(session, Job, Job.id, and_(
            Job.status == "done", Job.finished_at < now - retention.done_jobs), **batching),
        "jobs_failed": delete_in_batches(session, Job, Job.id, and_(
            Job.status == "failed", Job.finished_at < now - retention.failed_jobs),
            **batching),
    }


def snapshot_watermark(session: Session, slug: str) -> int | None:
    """The watermark of the snapshot a starting process loads (the highest-numbered one)."""
    folder = graphs(session).folder(slug)
    if not folder.is_dir():
        return None
    versions = [p for p in folder.iterdir() if p.name.isdigit() and (p / "meta.json").exists()]
    if not versions:
        return None
    newest = max(versions, key=lambda p: int(p.name))
    try:
        return int(json.loads((newest / "meta.json").read_text("utf-8"))["watermark"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable: processes rebuild from the database; keep everything


def prune_connection_changes(session: Session, retention: Retention,
                             now: datetime, **batching: Any) -> int:
    """Changelog rows below each instance's newest snapshot watermark, past the grace."""
    instances = [(i, s) for i, s in session.execute(select(Instance.id, Instance.slug))]
    session.commit()
    total = 0
    for instance_id, slug in instances:
        watermark = snapshot_watermark(session, slug)
        if not watermark:
            continue
        # A snapshot whose watermark row is not ours comes from another database (var/
        # kept across a reset): trusting it would delete rows processes still need.
        present = session.scalar(select(ConnectionChange.id).where(
            ConnectionChange.instance_id == instance_id, ConnectionChange.id == watermark))
        session.commit()
        if present is None:
            log.warning("%s: graph snapshot %s does not match the changelog; not pruning it",
                        slug, watermark)
            continue
        total += delete_in_batches(session, ConnectionChange, ConnectionChange.id, and_(
            ConnectionChange.instance_id == instance_id, ConnectionChange.id < watermark,
            ConnectionChange.created_at < now - retention.changes_grace), **batching)
    return total


def prune_idempotency_keys(session: Session, now: datetime, **batching: Any) -> int:
    """Keys past their lifetime (``KEY_TTL``): a repeat would run the request again anyway."""
    return delete_in_batches(session, IdempotencyKey, IdempotencyKey.id,
                             IdempotencyKey.created_at < now - KEY_TTL, **batching)


def prune_login_sessions(session: Session, retention: Retention, now: datetime,
                         **batching: Any) -> int:
    """Sessions revoked (logged out) or expired more than ``sessions`` ago."""
    cutoff = now - retention.sessions
    return delete_in_batches(session, LoginSession, LoginSession.id, or_(
        LoginSession.revoked_at < cutoff, LoginSession.expires_at < cutoff), **batching)


def prune_api_tokens(session: Session, retention: Retention, now: datetime,
                     **batching: Any) -> int:
    """Tokens revoked, or unused past API_TOKEN_DAYS, for more than ``api_tokens``."""
    last_use = func.coalesce(ApiToken.last_used_at, ApiToken.created_at)
    return delete_in_batches(session, ApiToken, ApiToken.id, or_(
        ApiToken.revoked_at < now - retention.api_tokens,
        last_use < now - retention.api_token_idle - retention.api_tokens), **batching)


def prune_operator_sessions(session: Session, retention: Retention, now: datetime,
                            **batching: Any) -> int:
    """The operators' sessions, as the members' (``sessions`` after they ended)."""
    cutoff = now - retention.sessions
    return delete_in_batches(session, OperatorSession, OperatorSession.id, or_(
        OperatorSession.revoked_at < cutoff, OperatorSession.expires_at < cutoff), **batching)


def prune_draft_batches(session: Session, now: datetime, **batching: Any) -> int:
    """Invitation batches previewed and never sent, a week on (their addresses with them)."""
    return delete_in_batches(session, InvitationBatch, InvitationBatch.id, and_(
        InvitationBatch.status == INVITATION_BATCH.state("draft"),
        InvitationBatch.created_at < now - DRAFT_BATCH_RETENTION), **batching)


def prune_heartbeats(session: Session, now: datetime, **batching: Any) -> int:
    """Heartbeats of workers gone for a day (each worker start has a new name)."""
    return delete_in_batches(session, WorkerHeartbeat, WorkerHeartbeat.worker,
                             WorkerHeartbeat.last_beat_at < now - HEARTBEAT_RETENTION,
                             **batching)


def prune(session: Session, now: datetime | None = None, **batching: Any) -> dict[str, int]:
    """One pruning run over every kind of row; returns how many rows of each went."""
    now = now or utcnow()
    retention = Retention.from_config(settings(session))
    counts = prune_jobs(session, retention, now, **batching)
    counts["connection_changes"] = prune_connection_changes(session, retention, now, **batching)
    counts["idempotency_keys"] = prune_idempotency_keys(session, now, **batching)
    counts["login_sessions"] = prune_login_sessions(session, retention, now, **batching)
    counts["api_tokens"] = prune_api_tokens(session, retention, now, **batching)
    counts["operator_sessions"] = prune_operator_sessions(session, retention, now, **batching)
    counts["invitation_drafts"] = prune_draft_batches(session, now, **batching)
    counts["worker_heartbeats"] = prune_heartbeats(session, now, **batching)
    if any(counts.values()):
        log.info("pruned %s", ", ".join(f"{n} {name}" for name, n in counts.items() if n))
    return counts


@periodic("prune", every_seconds=PRUNE_EVERY_SECONDS)
def _prune(session: Session) -> None:
    prune(session)
