"""The worker loop: a thread inside ``make run``, ``maillon worker`` processes in production."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from maillon.db import db
from maillon.jobs.services import (
    PERIODIC,
    requeue_orphans,
    requeue_stale,
    run_pending,
    worker_name,
)
from maillon.ops.health import HEARTBEAT_EVERY_SECONDS, record_heartbeat
from maillon.tenancy.registry import get_registry

log = logging.getLogger(__name__)


def work(app: Flask, stop: threading.Event, *, once: bool = False) -> int:
    """Run jobs until ``stop`` is set (or the queue is empty, with ``once``)."""
    name = worker_name()
    total = 0
    last_stale_check = 0.0
    last_beat = float("-inf")
    last_run: dict[str, float] = {}
    poll = float(app.config["JOB_POLL_SECONDS"])
    while not stop.is_set():
        with app.app_context():
            try:
                if time.monotonic() - last_beat >= HEARTBEAT_EVERY_SECONDS:
                    record_heartbeat(db.session, name)  # /readyz wants a recent one
                    last_beat = time.monotonic()
                if time.monotonic() - last_stale_check > 60:
                    requeue_orphans(db.session)  # at start: what a killed worker left
                    requeue_stale(db.session)
                    last_stale_check = time.monotonic()
                # E-mails of an instance the operator just created need its configuration.
                get_registry(app).refresh(db.session)
                ran = run_pending(db.session, worker=name)
                if not once:
                    _run_periodic(last_run)
            except Exception:
                log.exception("worker loop error")
                ran = 0
        total += ran
        if once and ran == 0:
            break
        if ran == 0:
            stop.wait(poll)
    return total


def start_worker_thread(app: Flask) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(app, stop), name="maillon-worker", daemon=True)
    thread.start()
    return thread, stop


def _run_periodic(last_run: dict[str, float]) -> None:
    now = time.monotonic()
    for name, (every, fn) in list(PERIODIC.items()):
        if now - last_run.get(name, 0.0) < every:
            continue
        last_run[name] = now
        try:
            fn(db.session)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("periodic task %s failed", name)
