"""The worker loop: a thread inside ``make run``, ``maillon worker`` processes in production."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from maillon.db import db
from maillon.jobs.services import requeue_stale, run_pending, worker_name

log = logging.getLogger(__name__)


def work(app: Flask, stop: threading.Event, *, once: bool = False) -> int:
    """Run jobs until ``stop`` is set (or the queue is empty, with ``once``)."""
    name = worker_name()
    total = 0
    last_stale_check = 0.0
    poll = float(app.config["JOB_POLL_SECONDS"])
    while not stop.is_set():
        with app.app_context():
            try:
                if time.monotonic() - last_stale_check > 60:
                    requeue_stale(db.session)
                    last_stale_check = time.monotonic()
                ran = run_pending(db.session, worker=name)
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
