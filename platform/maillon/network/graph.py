"""The graph service: each process keeps a per-instance TrustGraph current by watermark.

The database is the truth. A process loads the newest saved snapshot of an instance's graph
(memory-mapped, shared by every worker on the machine) or builds one from the connections
table, then, before each use, applies the ``connection_changes`` rows after its watermark: one
indexed query, no rebuild. The jobs worker periodically folds the overlay and saves a new
snapshot under ``var/graph/<slug>/<watermark>/``; processes switch to it on their next load.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from flask import Flask
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from maillon.db import db, once_per_transaction, run_built
from maillon.jobs.services import periodic
from maillon.network.graphcore import Change, TrustGraph
from maillon.network.lifecycle import CONNECTED
from maillon.network.models import Connection, ConnectionChange
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)
SNAPSHOT_KEEP = 2


@dataclass
class _Entry:
    graph: TrustGraph
    lock: threading.Lock = field(default_factory=threading.Lock)
    # When this process last caught up with the changelog (monotonic seconds).
    caught_up_at: float = field(default_factory=time.monotonic)


class GraphStore(dict[int, _Entry]):
    """This process's graphs by instance id, with what keeping them takes: where snapshots
    live and how long a cached graph may go without catching up. The app factory makes one
    (``install``); services reach it through their session (``graphs``)."""

    def __init__(self, var_dir: Path, grace_seconds: float) -> None:
        super().__init__()
        self.var_dir = var_dir
        # Pruning deletes changes older than RETENTION_CHANGES_GRACE_HOURS that a snapshot
        # holds. The changes this process has not seen are younger than its last catch-up, so
        # a graph caught up within half the grace can still catch up; an older one starts
        # afresh.
        self.grace_seconds = grace_seconds

    def folder(self, slug: str) -> Path:
        return self.var_dir / "graph" / slug


def install(app: Flask) -> GraphStore:
    """The app factory's graph store, given to every session of the app."""
    store = GraphStore(Path(app.config["VAR_DIR"]),
                       float(app.config["RETENTION_CHANGES_GRACE_HOURS"]) * 3600 / 2)
    app.extensions["maillon.graphs"] = store
    db.provide(app, "maillon.graphs", store)
    return store


def graphs(session: Session) -> GraphStore:
    """The graph store of the app that made ``session``."""
    store: GraphStore = session.info["maillon.graphs"]
    return store


def graph_dir(app: Flask, slug: str) -> Path:
    folder: Path = app.extensions["maillon.graphs"].folder(slug)
    return folder


def _latest_snapshot(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    versions = sorted((p for p in folder.iterdir() if p.name.isdigit() and
                       (p / "meta.json").exists()), key=lambda p: int(p.name))
    return versions[-1] if versions else None


def build_graph(session: Session, instance: Instance) -> TrustGraph:
    """The graph of connected pairs, straight from the database."""
    watermark = session.scalar(select(func.max(ConnectionChange.id)).where(
        ConnectionChange.instance_id == instance.id)) or 0
    rows = session.execute(select(
        Connection.requester_id, Connection.addressee_id, Connection.trust_requester,
        Connection.trust_addressee).where(Connection.instance_id == instance.id,
                                          Connection.status == CONNECTED)).all()
    if rows:
        a, b, tab, tba = (np.asarray(col, dtype=np.int64) for col in zip(*rows, strict=True))
    else:
        a = b = tab = tba = np.empty(0, np.int64)
    # Changes after ``watermark`` may already show in ``rows``: replaying them is harmless.
    return TrustGraph.from_connections(a, b, tab, tba, watermark=int(watermark))


def _load(session: Session, store: GraphStore, instance: Instance) -> TrustGraph:
    snapshot = _latest_snapshot(store.folder(instance.slug))
    if snapshot is not None:
        try:
            graph = TrustGraph.load(snapshot)
        except (OSError, ValueError):
            log.warning("unreadable graph snapshot %s: rebuilding", snapshot, exc_info=True)
        else:
            newest = session.scalar(select(func.max(ConnectionChange.id)).where(
                ConnectionChange.instance_id == instance.id)) or 0
            if graph.watermark <= newest:
                return graph
            # A snapshot ahead of the changelog belongs to another database (var/ kept
            # across a database reset): it would hide every change up to its watermark.
            log.warning("graph snapshot %s is ahead of the database: rebuilding", snapshot)
    return build_graph(session, instance)


# Built once: the catch-up runs on nearly every request (run_built: no ORM layer, half the cost).
_CHANGES_AFTER = select(
    ConnectionChange.id, ConnectionChange.kind, ConnectionChange.a, ConnectionChange.b,
    ConnectionChange.trust_ab, ConnectionChange.trust_ba).where(
    ConnectionChange.instance_id == bindparam("instance_id"),
    ConnectionChange.id > bindparam("seen")).order_by(ConnectionChange.id)


def graph_for(session: Session, instance: Instance) -> TrustGraph:
    """The instance's graph with every committed connection change applied."""
    store = graphs(session)
    entry = store.get(instance.id)
    if entry is not None and time.monotonic() - entry.caught_up_at > store.grace_seconds:
        store.pop(instance.id, None)
        entry = None
    if entry is None:
        entry = store.setdefault(instance.id, _Entry(_load(session, store, instance)))
    # The changes are read with no lock held: a thread holding a Python lock while it waits
    # for the database (or its write lock) deadlocks against one holding the database and
    # waiting for this lock. The lock only guards applying rows in memory.
    def catch_up() -> bool:
        seen = entry.graph.watermark
        rows = run_built(session, _CHANGES_AFTER, {"instance_id": instance.id, "seen": seen}
                         ).all()
        if rows:
            with entry.lock:  # rows another thread applied meanwhile are skipped by apply()
                entry.graph.apply(Change(*row) for row in rows)  # type: ignore[arg-type]
        entry.caught_up_at = time.monotonic()
        return True

    # Once per transaction: several services of one request ask for the same graph.
    once_per_transaction(session, ("graph", instance.id, id(entry)), catch_up)
    return entry.graph


def save_snapshot(session: Session, instance: Instance) -> Path:
    """Fold the current graph and save it as a new shared snapshot; drop old ones."""
    graph = graph_for(session, instance)
    store = graphs(session)
    folder = store.folder(instance.slug)
    folder.mkdir(parents=True, exist_ok=True)
    latest = _latest_snapshot(folder)
    if latest is not None and int(latest.name) == graph.watermark and not graph.has_overlay:
        return latest
    path = graph.save(folder / str(graph.watermark))
    versions = sorted((p for p in folder.iterdir() if p.name.isdigit()),
                      key=lambda p: int(p.name))
    for old in versions[:-SNAPSHOT_KEEP]:  # mapped files stay valid for processes using them
        shutil.rmtree(old, ignore_errors=True)
    store[instance.id] = _Entry(TrustGraph.load(path))
    return path


def degrees(session: Session, instance: Instance, viewer_id: int,
            member_ids: list[int]) -> dict[int, int | None]:
    """1st/2nd/3rd-degree badges from the viewer (None beyond 3 or for oneself)."""
    if not member_ids:
        return {}
    return graph_for(session, instance).degree_of(viewer_id, member_ids)


def shared_connection_ids(session: Session, instance: Instance, a: int, b: int) -> list[int]:
    return graph_for(session, instance).shared_connections(a, b)


@periodic("graph_snapshots", every_seconds=300)
def _snapshot_busy_graphs(session: Session) -> None:
    """Fold and save the graphs whose overlay has grown, so new workers start from it."""
    store = graphs(session)
    for instance in session.scalars(select(Instance)):
        entry = store.get(instance.id)
        if entry is None or entry.graph.has_overlay:
            save_snapshot(session, instance)
