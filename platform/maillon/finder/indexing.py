"""Keeping each instance's search index in step with the database.

A member change sends ``member_changed`` inside its transaction; the receiver here adds an
``index_members`` job to the same transaction (the outbox). Only the jobs worker writes the
index, and it folds every queued indexing job of the instance into one batch and one commit.
``reindex`` rebuilds an index aside and swaps it in; ``reconcile`` compares the index with the
database and repairs the difference.  An index found missing or unreadable is never answered
from: web processes say "search unavailable" until the worker's check (``heal_index``, every
``HEALTH_EVERY_SECONDS``) or its next indexing job has rebuilt it from the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import bindparam, false, func, or_, select, true, update
from sqlalchemy.orm import Session, selectinload

from maillon.db import db, run_built, utcnow
from maillon.finder import backends
from maillon.jobs.models import Job
from maillon.jobs.services import enqueue, job_handler, periodic
from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.tenancy.models import Instance
from search import IndexBusy, IndexUnavailable, ReconcileReport, SearchIndex

log = logging.getLogger(__name__)

KIND = "index_members"
BATCH = 500
RECONCILE_EVERY_SECONDS = 600
# How often each worker checks that every index opens (cheap: a few stat() calls when it
# does); an unusable one is rebuilt, so search answers again within about this long.
HEALTH_EVERY_SECONDS = 30
_lock = threading.Lock()


def index_root(app: Flask, slug: str) -> Path:
    return Path(app.config["VAR_DIR"]) / "search" / slug


class SearchIndexes(dict[str, SearchIndex]):
    """This process's long-lived index handles by instance slug (searchers refresh cheaply),
    opened with the app's backend. The app factory makes one (``install``); services reach it
    through their session (``index_for``)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def get_index(self, slug: str) -> SearchIndex:
        index = self.get(slug)
        if index is None:
            with _lock:
                index = self.get(slug)
                if index is None:
                    index = backends.open_instance_index(self.app, slug,
                                                         index_root(self.app, slug))
                    self[slug] = index
        return index


def install(app: Flask) -> SearchIndexes:
    """The app factory's search indexes, given to every session of the app."""
    indexes = SearchIndexes(app)
    app.extensions["maillon.search"] = indexes
    db.provide(app, "maillon.search", indexes)
    return indexes


def get_index(slug: str, app: Flask) -> SearchIndex:
    """The app's index handle for an instance (the health checks and the CLI name the app)."""
    indexes: SearchIndexes = app.extensions["maillon.search"]
    return indexes.get_index(slug)


def index_for(session: Session, instance: Instance) -> SearchIndex:
    """The index of ``instance`` in the app that made ``session``."""
    indexes: SearchIndexes = session.info["maillon.search"]
    return indexes.get_index(instance.slug)


def is_searchable(member: Member) -> bool:
    return member.status == "active" and bool(member.visibility.get("in_directory", True))


#: Past this many members waiting for their indexing job, a search reads which members of
#: the instance are not searchable instead (a bulk change: rare, and the worker is catching up).
PENDING_LOOKUP_LIMIT = 2000


# Built once: every search runs it, and it nearly always finds nothing (run_built: no ORM layer).
_PENDING_PAYLOADS = select(Job.payload).where(
    Job.kind == KIND, Job.instance_id == bindparam("instance_id"),
    Job.status.in_(("queued", "running", "failed")))


def excluded_ids(session: Session, instance: Instance) -> frozenset[str]:
    """Members the index may still hold though no search may count them: hidden, suspended or
    removed since their indexing job was queued (the index catches up when it runs; till
    then every answer must be as if they were already gone)."""
    pending: set[int] = set()
    for (payload,) in run_built(session, _PENDING_PAYLOADS, {"instance_id": instance.id}):
        pending.update(int(i) for i in (payload or {}).get("member_ids", []))
        if len(pending) > PENDING_LOOKUP_LIMIT:
            break
    if not pending:
        return frozenset()
    query = select(Member.id, Member.status, Member.visibility).where(
        Member.instance_id == instance.id)
    if len(pending) <= PENDING_LOOKUP_LIMIT:
        query = query.where(Member.id.in_(pending))
    else:
        # Too many to list: every member not searchable now, whatever is queued (the database
        # picks them, so the answer is as long as the instance's hidden and inactive members).
        in_directory = func.coalesce(Member.visibility["in_directory"].as_boolean(), true())
        query = query.where(or_(Member.status != "active", in_directory.is_(false())))
        pending = set()
    searchable = set()
    for member_id, status, visibility in session.execute(query):
        if status == "active" and (visibility or {}).get("in_directory", True):
            searchable.add(member_id)
        else:
            pending.add(member_id)
    return frozenset(str(i) for i in pending - searchable)


def member_document(member: Member) -> dict[str, Any]:
    """The plain document the search package indexes."""
    experiences = " ".join(
        f"{e.title} {e.organisation} {e.location} {e.description}" for e in member.experiences)
    education = " ".join(f"{e.school} {e.degree} {e.field}" for e in member.education)
    return {
        "id": str(member.id),
        "name": member.name,
        "headline": member.headline,
        "position": member.position,
        "organisation": member.organisation,
        "location": member.location,
        "skills": list(member.skills or []),
        "summary": member.summary,
        "experiences": experiences,
        "education": education,
        "offers": member.offers,
        "seeks": member.seeks,
        "open_to_opportunities": bool(member.open_to_opportunities),
        "language": member.locale or "",
        "updated_at": member.updated_at.isoformat() if member.updated_at else "",
    }


@member_changed.connect
def _queue_indexing(session: Session, member: Member, **_: Any) -> None:
    enqueue(session, KIND, {"member_ids": [member.id]}, instance_id=member.instance_id,
            dedupe_key=f"{KIND}:{member.instance_id}:{member.id}")


def _load(session: Session, instance_id: int, ids: Iterable[int]) -> list[Member]:
    return list(session.scalars(
        select(Member).where(Member.instance_id == instance_id, Member.id.in_(list(ids)))
        .options(selectinload(Member.experiences), selectinload(Member.education))))


def apply_to_index(session: Session, index: SearchIndex, instance_id: int,
                   member_ids: set[int]) -> None:
    members = {m.id: m for m in _load(session, instance_id, member_ids)}
    docs = [member_document(m) for m in members.values() if is_searchable(m)]
    gone = [str(i) for i in member_ids if i not in members or not is_searchable(members[i])]
    if docs:
        index.upsert(docs)
    if gone:
        index.delete(gone)


@job_handler(KIND)
def _index_members(session: Session, job: Job) -> None:
    """Index the job's members and those of every other queued indexing job of the instance."""
    instance = session.get(Instance, job.instance_id)
    if instance is None:
        return
    others = list(session.scalars(
        select(Job).where(Job.kind == KIND, Job.instance_id == job.instance_id,
                          Job.status == "queued", Job.id != job.id).limit(BATCH)))
    member_ids = set(job.payload.get("member_ids", []))
    for other in others:
        member_ids.update(other.payload.get("member_ids", []))
    if others:
        session.execute(update(Job).where(Job.id.in_([o.id for o in others]))
                        .values(status="done", finished_at=utcnow(), locked_by=f"batch:{job.id}"))
    try:
        apply_to_index(session, index_for(session, instance), instance.id, member_ids)
    except IndexUnavailable as exc:  # a rebuild from the database includes these members
        log.warning("%s: rebuilding the search index (%s)", instance.slug, exc.reason)
        reindex(session, instance)
    # The batch's jobs are marked done by the caller's commit, after the index committed:
    # if this process dies in between, they run again (indexing is idempotent).


def _iter_documents(session: Session, instance: Instance) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        ids = list(session.scalars(
            select(Member.id).where(Member.instance_id == instance.id, Member.id > last,
                                    Member.status == "active")
            .order_by(Member.id).limit(BATCH)))
        if not ids:
            return
        for member in sorted(_load(session, instance.id, ids), key=lambda m: m.id):
            if is_searchable(member):
                yield member_document(member)
        last = ids[-1]
        session.expunge_all()


def reindex(session: Session, instance: Instance,
            progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the instance's index from the database, aside, then swap it in.

    ``progress`` gets the number of members indexed since its previous call, as
    ``click.progressbar(...).update`` expects (the index reports running totals).
    """
    done = 0

    def step(total: int) -> None:
        nonlocal done
        if progress is not None and total > done:
            progress(total - done)
            done = total

    return index_for(session, instance).rebuild(_iter_documents(session, instance), step)


def searchable_ids(session: Session, instance: Instance) -> set[str]:
    rows = session.execute(select(Member.id, Member.visibility).where(
        Member.instance_id == instance.id, Member.status == "active"))
    return {str(i) for i, vis in rows if (vis or {}).get("in_directory", True)}


def reconcile(session: Session, instance: Instance) -> ReconcileReport:
    """Compare index and database; index what is missing, drop what should not be there.

    An index that is missing or unreadable is rebuilt: everything was missing from it.
    """
    expected = searchable_ids(session, instance)

    def fetch(ids: set[str]) -> list[dict[str, Any]]:
        return [member_document(m) for m in _load(session, instance.id, map(int, ids))]

    try:
        return index_for(session, instance).reconcile(expected, fetch)
    except IndexUnavailable as exc:
        log.warning("%s: rebuilding the search index (%s)", instance.slug, exc.reason)
        count = reindex(session, instance)
        return ReconcileReport(frozenset(expected), frozenset(), repaired=count)


def index_problem(session: Session, instance: Instance, index: SearchIndex) -> str | None:
    """Why the instance's index must be rebuilt from the database, or None if it is usable.

    Missing or unreadable files, a rebuild asked for (``recovery``), or an index that is
    empty while the database has searchable members (created empty by a process that
    started after the index was deleted: it would answer "nobody found").
    """
    if index.recovery is not None:
        return index.recovery
    try:
        index.refresh()
        empty = index.count() == 0
    except IndexUnavailable as exc:
        return exc.reason
    if empty and searchable_ids(session, instance):
        return "the index is empty but the database has searchable members"
    return None


def heal_index(session: Session, instance: Instance) -> str | None:
    """Rebuild the instance's index if it is unusable; say so, or None when it was fine."""
    index = index_for(session, instance)
    problem = index_problem(session, instance, index)
    if problem is None:
        return None
    log.warning("%s: rebuilding the search index (%s)", instance.slug, problem)
    count = reindex(session, instance)
    index.recovery = None
    return f"rebuilt ({count} members)"


def check_index(session: Session, instance: Instance) -> str:
    """Rebuild an unusable index; otherwise reconcile it with the database."""
    healed = heal_index(session, instance)
    if healed is not None:
        return healed
    report = reconcile(session, instance)
    if not report.clean:
        log.warning("%s: search index drift repaired: %d missing, %d extra, %d stale",
                    instance.slug, len(report.missing), len(report.extra), len(report.stale))
    return "repaired" if not report.clean else "clean"


@periodic("search_reconcile", every_seconds=RECONCILE_EVERY_SECONDS)
def _check_indexes(session: Session) -> None:
    """Each worker, at start and then every few minutes: no change stays lost for long.

    Catches a job that exhausted its retries while a rebuild held the lock, an index reset
    after a crash, or a write that raced a batch of indexing jobs.
    """
    for instance in list(session.scalars(select(Instance).order_by(Instance.id))):
        try:
            check_index(session, instance)
        except IndexBusy:  # another process is writing (a rebuild): next time
            log.info("%s: search index busy, reconciliation postponed", instance.slug)


@periodic("search_health", every_seconds=HEALTH_EVERY_SECONDS)
def _heal_indexes(session: Session) -> None:
    """Each worker, often: an index deleted or damaged is rebuilt without any restart, and
    web processes pick the new one up on their next search."""
    for instance in list(session.scalars(select(Instance).order_by(Instance.id))):
        try:
            heal_index(session, instance)
        except IndexBusy:  # another process is rebuilding it
            log.info("%s: search index busy, health check postponed", instance.slug)
