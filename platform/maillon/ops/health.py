"""Liveness and readiness: what a load balancer, a deploy script or a supervisor asks.

``/healthz`` says the process answers and touches nothing else. ``/readyz`` checks what a
request needs: the database, each instance's search index, and a jobs worker that went round
its loop recently (workers write a heartbeat row at most every ``HEARTBEAT_EVERY_SECONDS``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.finder.backends import backend_name
from maillon.finder.indexing import get_index, index_root
from maillon.ops.models import WorkerHeartbeat
from maillon.tenancy.registry import get_registry

HEARTBEAT_EVERY_SECONDS = 10.0
DB_CHECK_TIMEOUT_MS = 2000


@dataclass
class Check:
    """One readiness check: passed or not, with details for operators."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Readiness:
    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    def as_dict(self, *, details: bool) -> dict[str, Any]:
        """The /readyz body; ``details`` (slugs, counts, errors) only for trusted callers."""
        return {"status": "ok" if self.ok else "unavailable",
                "checks": {name: ({"ok": c.ok, **c.details} if details else {"ok": c.ok})
                           for name, c in self.checks.items()}}


def record_heartbeat(session: Session, worker: str) -> None:
    """Note that ``worker`` is alive, in its own short transaction."""
    worker, now = worker[:200], utcnow()
    result = session.execute(update(WorkerHeartbeat).where(
        WorkerHeartbeat.worker == worker).values(last_beat_at=now))
    if not getattr(result, "rowcount", 0):
        session.add(WorkerHeartbeat(worker=worker, last_beat_at=now))
    session.commit()


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def check_database_and_worker(engine: Engine, max_age: timedelta) -> tuple[Check, Check]:
    """A trivial SELECT with a short timeout, then the newest worker heartbeat."""
    started = time.perf_counter()
    database: Check | None = None
    try:
        # Its own connection, outside the request's session: on SQLite a plain (deferred)
        # read takes no lock, and on PostgreSQL the timeout stays local to this transaction.
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {DB_CHECK_TIMEOUT_MS}")
            conn.execute(text("SELECT 1"))
            database = Check(True, {"ms": round((time.perf_counter() - started) * 1000, 1)})
            newest = conn.scalar(select(func.max(WorkerHeartbeat.last_beat_at)))
    except Exception as exc:  # whatever the driver raises, the answer is "not ready"
        failed = Check(False, {"error": _error(exc)})
        if database is None:
            return failed, Check(False, {"error": "database unavailable"})
        return database, failed
    if newest is None:
        return database, Check(False, {"error": "no worker heartbeat"})
    age = (utcnow() - newest).total_seconds()
    return database, Check(age <= max_age.total_seconds(),
                           {"last_beat_seconds_ago": round(age, 1),
                            "max_seconds": max_age.total_seconds()})


def check_search_indexes(app: Flask) -> Check:
    """Every configured instance's index answers count() (Whoosh: its directory exists)."""
    instances: dict[str, Any] = {}
    files = backend_name(app.config) == "whoosh"
    for slug in sorted(get_registry(app).configs):
        # Checked first: opening an index creates a missing directory (as an empty index).
        if files and not index_root(app, slug).is_dir():
            instances[slug] = {"ok": False, "error": "index directory missing"}
            continue
        try:
            index = get_index(slug, app)
            instances[slug] = {"ok": True, "documents": index.count()}
        except Exception as exc:  # a missing or corrupt index, whatever the backend raises
            instances[slug] = {"ok": False, "error": _error(exc)}
            continue
        if index.recovery is not None:  # readable, but empty until the worker rebuilds it
            instances[slug]["note"] = "reset to empty, rebuild pending"
    return Check(all(i["ok"] for i in instances.values()), {"instances": instances})


def readiness(app: Flask) -> Readiness:
    """Run every readiness check of this process."""
    max_age = timedelta(seconds=float(app.config["READY_WORKER_MAX_AGE_SECONDS"]))
    database, worker = check_database_and_worker(app.extensions["maillon.engine"], max_age)
    return Readiness({"database": database, "search": check_search_indexes(app),
                      "worker": worker})
