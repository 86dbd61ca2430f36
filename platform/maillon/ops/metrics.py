"""Prometheus metrics: request latency by route, search and chain timings, the jobs queue.

Histograms live in each process; under gunicorn, with ``PROMETHEUS_MULTIPROC_DIR`` set in the
environment, prometheus_client writes them to files in that directory and ``/metrics`` sums
every process's files. The jobs gauges are computed when scraped, with one query.

The metric objects are created on first use, not at import: prometheus_client chooses
between in-process and file-backed values when a value is created, so a command that calls
``prepare_multiproc_dir`` after importing the app still gets file-backed metrics.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import Any, Literal

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.jobs.models import Job
from maillon.jobs.services import HANDLERS

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; requests span pages to API writes, searches and chains are meant to be fast.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
Timed = Literal["search", "chains", "organisation_reach", "organisation_introducers"]


class _Metrics:
    def __init__(self) -> None:
        # registry=None: collected by hand (below), so they can be recreated without
        # "duplicated timeseries" errors when the value mode changes.
        self.requests = Histogram(
            "maillon_http_request_duration_seconds",
            "Time to answer a request, by Flask route (the URL rule), method and status class.",
            ["route", "method", "status"], buckets=REQUEST_BUCKETS, registry=None)
        self.timed: dict[str, Histogram] = {
            "search": Histogram("maillon_search_duration_seconds",
                                "Time of a member search (finder.services.search_members).",
                                buckets=FAST_BUCKETS, registry=None),
            "chains": Histogram("maillon_chain_search_duration_seconds",
                                "Time to find introduction chains between two members.",
                                buckets=FAST_BUCKETS, registry=None),
            "organisation_reach": Histogram(
                "maillon_organisation_reach_duration_seconds",
                "Time to compute an organisation's reach and its breakdowns.",
                buckets=FAST_BUCKETS, registry=None),
            "organisation_introducers": Histogram(
                "maillon_organisation_introducers_duration_seconds",
                "Time to rank an organisation's members as starting points to a target.",
                buckets=FAST_BUCKETS, registry=None),
        }

    def collectors(self) -> list[Histogram]:
        return [self.requests, *self.timed.values()]


_metrics: _Metrics | None = None
_lock = threading.Lock()


def _get() -> _Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiproc_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path``, delete the metric files of earlier runs, and use it from now on.

    Call it once in the parent process, before any worker starts (``maillon serve``). Only
    ``*.db`` files are deleted, never anything else the directory may hold.
    """
    global _metrics
    folder = Path(path).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    prometheus_values.ValueClass = prometheus_values.get_value_class()
    with _lock:
        _metrics = None  # recreated file-backed on first use
    return folder


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook (``child_exit`` in gunicorn.conf.py): forget a dead worker's live gauges."""
    if multiproc_dir():
        mark_process_dead(worker.pid)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request; ``route`` is the URL rule, never the raw path."""
    _get().requests.labels(route=route or "unmatched",
                           method=method if method in KNOWN_METHODS else "other",
                           status=status_class(status)).observe(seconds)


@contextmanager
def observe(name: Timed) -> Iterator[None]:
    """Time a block, or a function when used as a decorator, into the ``name`` histogram."""
    histogram = _get().timed[name]
    started = perf_counter()
    try:
        yield
    finally:
        histogram.observe(perf_counter() - started)


@dataclass(frozen=True)
class QueueStats:
    kind: str
    queued: int
    ready: int
    oldest_ready_at: datetime | None
    failed: int


def job_queue_stats(session: Session) -> list[QueueStats]:
    """Queued, ready and failed jobs by kind, and the oldest ready one: one grouped query."""
    now = utcnow()
    ready = and_(Job.status == "queued", Job.run_after <= now)
    rows = session.execute(select(
        Job.kind, func.count().filter(Job.status == "queued"), func.count().filter(ready),
        func.min(Job.run_after).filter(ready), func.count().filter(Job.status == "failed"),
    ).where(Job.status.in_(("queued", "failed"))).group_by(Job.kind)).all()
    found = {row[0]: QueueStats(row[0], int(row[1]), int(row[2]), row[3], int(row[4]))
             for row in rows}
    # Every known kind appears, at 0 when idle, so that an alert never watches a gap.
    for kind in HANDLERS:
        found.setdefault(kind, QueueStats(kind, 0, 0, None, 0))
    return [found[kind] for kind in sorted(found)]


class _JobsCollector(Collector):
    def __init__(self, stats: Iterable[QueueStats]) -> None:
        self.stats = list(stats)

    def collect(self) -> Iterable[Metric]:
        now = utcnow()
        families = {
            "queued": GaugeMetricFamily("maillon_jobs_queued",
                                        "Jobs waiting, due or scheduled later.", labels=["kind"]),
            "ready": GaugeMetricFamily("maillon_jobs_ready",
                                       "Queued jobs that are due now.", labels=["kind"]),
            "age": GaugeMetricFamily("maillon_jobs_oldest_ready_age_seconds",
                                     "How long the oldest due job has waited (0: none).",
                                     labels=["kind"]),
            "failed": GaugeMetricFamily("maillon_jobs_failed",
                                        "Jobs that exhausted their attempts (kept until "
                                        "pruned).", labels=["kind"]),
        }
        for s in self.stats:
            age = (now - s.oldest_ready_at).total_seconds() if s.oldest_ready_at else 0.0
            families["queued"].add_metric([s.kind], s.queued)
            families["ready"].add_metric([s.kind], s.ready)
            families["age"].add_metric([s.kind], max(0.0, age))
            families["failed"].add_metric([s.kind], s.failed)
        yield from families.values()


class _ProcessMetrics(Collector):
    def collect(self) -> Iterable[Metric]:
        for histogram in _get().collectors():
            yield from histogram.collect()


def render_metrics(session: Session) -> tuple[bytes, str]:
    """The Prometheus text exposition: this process's (or every process's) metrics, jobs."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiproc_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ProcessMetrics())
    try:
        stats = job_queue_stats(session)
    except SQLAlchemyError:
        session.rollback()
        log.warning("metrics: jobs queue not readable", exc_info=True)
    else:
        registry.register(_JobsCollector(stats))
    return generate_latest(registry), CONTENT_TYPE_LATEST
