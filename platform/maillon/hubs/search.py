"""Searching hub threads: a second index per instance, beside the members' one.

The ``search`` package knows nothing of threads; each thread is one of its documents (title in
``headline``, the published posts' text in ``summary``, the hub's name in ``organisation`` so
the hub is a facet and a filter). Its Whoosh files live in ``var/search/<slug>@threads/``, its
PostgreSQL rows under the namespace ``<slug>@threads``: the same backend as the members' index.
``thread_changed`` (a thread started, replied to, edited, deleted or removed) queues an
``index_threads`` job in the same transaction; only the jobs worker writes; ``maillon search
reindex`` rebuilds it and the worker reconciles it as it does the members' index.

Who finds what: the threads of hubs by request the searcher has not joined, and threads
deleted or removed that the index still holds, are ``excluded_ids`` of the query: they count
for nothing (no hit, no total, no facet, no suggestion), so no search reveals them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from maillon.db import utcnow
from maillon.errors import ServiceError
from maillon.finder.indexing import SearchIndexes
from maillon.finder.services import SearchUnavailable, localise
from maillon.hubs import signals
from maillon.hubs.lifecycle import ACTIVE, PUBLISHED
from maillon.hubs.models import Hub, HubMembership, Post, Thread
from maillon.hubs.services import is_staff
from maillon.hubs.text import excerpt
from maillon.jobs.models import Job
from maillon.jobs.services import enqueue, job_handler, periodic
from maillon.members.models import Member
from maillon.pagination import MAX_PAGE, MAX_PER_PAGE
from maillon.tenancy.models import Instance
from search import (
    IndexBusy,
    IndexUnavailable,
    QueryError,
    ReconcileReport,
    SearchIndex,
    SearchQuery,
)

log = logging.getLogger(__name__)

KIND = "index_threads"
BATCH = 200
#: Text of one thread indexed, at most (its first posts): a long thread is found by its start.
MAX_TEXT = 50_000
RECONCILE_EVERY_SECONDS = 600
HEALTH_EVERY_SECONDS = 60
_PENDING = ("queued", "running", "failed")


def index_key(instance: Instance) -> str:
    """The name of the instance's thread index: its directory, or its PostgreSQL namespace."""
    return f"{instance.slug}@threads"


def thread_index(session: Session, instance: Instance) -> SearchIndex:
    indexes: SearchIndexes = session.info["maillon.search"]
    return indexes.get_index(index_key(instance))


@signals.thread_changed.connect
def _queue_indexing(session: Session, thread: Thread, **_: Any) -> None:
    enqueue(session, KIND, {"thread_ids": [thread.id]}, instance_id=thread.instance_id,
            dedupe_key=f"{KIND}:{thread.instance_id}:{thread.id}")


@signals.hub_renamed.connect
def _queue_hub_threads(session: Session, hub: Hub, **_: Any) -> None:
    ids = list(session.scalars(select(Thread.id).where(
        Thread.instance_id == hub.instance_id, Thread.hub_id == hub.id,
        Thread.status == PUBLISHED).order_by(Thread.id)))
    for start in range(0, len(ids), BATCH):
        enqueue(session, KIND, {"thread_ids": ids[start:start + BATCH]},
                instance_id=hub.instance_id)


# ---------------------------------------------------------------------- documents


def _documents(session: Session, instance: Instance, threads: list[Thread]
               ) -> list[dict[str, Any]]:
    """The documents of published threads, with their published posts' text."""
    if not threads:
        return []
    texts: dict[int, list[str]] = {t.id: [] for t in threads}
    sizes: dict[int, int] = dict.fromkeys(texts, 0)
    for thread_id, text in session.execute(select(Post.thread_id, Post.text).where(
            Post.instance_id == instance.id, Post.thread_id.in_(list(texts)),
            Post.status == PUBLISHED).order_by(Post.thread_id, Post.id)):
        if sizes[thread_id] < MAX_TEXT:
            texts[thread_id].append(text)
            sizes[thread_id] += len(text)
    language = str(instance.setting("locale") or "fr")
    return [{"id": str(t.id), "headline": t.title, "organisation": t.hub.name,
             "summary": "\n".join(texts[t.id])[:MAX_TEXT], "language": language,
             "updated_at": max(t.updated_at, t.last_post_at).isoformat()}
            for t in threads]


def _load(session: Session, instance: Instance, ids: Iterable[int]) -> list[Thread]:
    return list(session.scalars(select(Thread).options(joinedload(Thread.hub)).where(
        Thread.instance_id == instance.id, Thread.id.in_(list(ids)))))


def apply_to_index(session: Session, index: SearchIndex, instance: Instance,
                   thread_ids: set[int]) -> None:
    threads = {t.id: t for t in _load(session, instance, thread_ids)}
    live = [t for t in threads.values() if t.status == PUBLISHED]
    docs = _documents(session, instance, live)
    gone = [str(i) for i in thread_ids if i not in threads or threads[i].status != PUBLISHED]
    if docs:
        index.upsert(docs)
    if gone:
        index.delete(gone)


@job_handler(KIND)
def _index_threads(session: Session, job: Job) -> None:
    """Index the job's threads and those of every other queued thread job of the instance."""
    instance = session.get(Instance, job.instance_id)
    if instance is None:
        return
    others = list(session.scalars(select(Job).where(
        Job.kind == KIND, Job.instance_id == job.instance_id, Job.status == "queued",
        Job.id != job.id).limit(BATCH)))
    thread_ids = set(job.payload.get("thread_ids", []))
    for other in others:
        thread_ids.update(other.payload.get("thread_ids", []))
    if others:
        session.execute(update(Job).where(Job.id.in_([o.id for o in others]))
                        .values(status="done", finished_at=utcnow(), locked_by=f"batch:{job.id}"))
    try:
        apply_to_index(session, thread_index(session, instance), instance, thread_ids)
    except IndexUnavailable as exc:  # a rebuild from the database includes these threads
        log.warning("%s: rebuilding the thread index (%s)", instance.slug, exc.reason)
        reindex(session, instance)


def _iter_documents(session: Session, instance: Instance) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        threads = list(session.scalars(select(Thread).options(joinedload(Thread.hub)).where(
            Thread.instance_id == instance.id, Thread.id > last, Thread.status == PUBLISHED)
            .order_by(Thread.id).limit(BATCH)))
        if not threads:
            return
        yield from _documents(session, instance, threads)
        last = threads[-1].id
        session.expunge_all()


def reindex(session: Session, instance: Instance) -> int:
    """Rebuild the instance's thread index from the database, aside, then swap it in."""
    return thread_index(session, instance).rebuild(_iter_documents(session, instance))


def indexed_ids(session: Session, instance: Instance) -> set[str]:
    """What the thread index should hold: the published threads."""
    return {str(i) for i in session.scalars(select(Thread.id).where(
        Thread.instance_id == instance.id, Thread.status == PUBLISHED))}


def reconcile(session: Session, instance: Instance) -> ReconcileReport:
    """Compare the thread index with the database; index what is missing, drop the rest."""
    expected = indexed_ids(session, instance)

    def fetch(ids: set[str]) -> list[dict[str, Any]]:
        return _documents(session, instance, [
            t for t in _load(session, instance, map(int, ids)) if t.status == PUBLISHED])

    try:
        return thread_index(session, instance).reconcile(expected, fetch)
    except IndexUnavailable as exc:
        log.warning("%s: rebuilding the thread index (%s)", instance.slug, exc.reason)
        count = reindex(session, instance)
        return ReconcileReport(frozenset(expected), frozenset(), repaired=count)


def heal(session: Session, instance: Instance) -> str | None:
    """Rebuild the thread index if it is unusable (or empty while threads exist)."""
    index = thread_index(session, instance)
    problem = index.recovery
    if problem is None:
        try:
            index.refresh()
            if index.count() == 0 and indexed_ids(session, instance):
                problem = "the index is empty but the database has threads"
        except IndexUnavailable as exc:
            problem = exc.reason
    if problem is None:
        return None
    log.warning("%s: rebuilding the thread index (%s)", instance.slug, problem)
    count = reindex(session, instance)
    index.recovery = None
    return f"rebuilt ({count} threads)"


@periodic("thread_search_reconcile", every_seconds=RECONCILE_EVERY_SECONDS)
def _reconcile_all(session: Session) -> None:
    for instance in list(session.scalars(select(Instance).order_by(Instance.id))):
        try:
            if heal(session, instance) is None:
                reconcile(session, instance)
        except IndexBusy:
            log.info("%s: thread index busy, reconciliation postponed", instance.slug)


@periodic("thread_search_health", every_seconds=HEALTH_EVERY_SECONDS)
def _heal_all(session: Session) -> None:
    for instance in list(session.scalars(select(Instance).order_by(Instance.id))):
        try:
            heal(session, instance)
        except IndexBusy:
            log.info("%s: thread index busy, health check postponed", instance.slug)


# ---------------------------------------------------------------------- searching


def hidden_thread_ids(session: Session, instance: Instance, viewer: Member
                      ) -> frozenset[str]:
    """Threads the index may hold that ``viewer`` must not find: every thread of a hub by
    request they have not joined (staff read every hub), and threads deleted or removed whose
    indexing job has not run yet."""
    hidden: set[int] = set()
    if not is_staff(viewer):
        joined = select(HubMembership.hub_id).where(
            HubMembership.instance_id == instance.id, HubMembership.member_id == viewer.id,
            HubMembership.status == ACTIVE)
        hidden.update(session.scalars(select(Thread.id).join(Hub, Hub.id == Thread.hub_id).where(
            Thread.instance_id == instance.id, Hub.instance_id == instance.id,
            Hub.visibility != "open", Hub.id.not_in(joined))))
    pending: set[int] = set()
    for payload in session.scalars(select(Job.payload).where(
            Job.kind == KIND, Job.instance_id == instance.id, Job.status.in_(_PENDING))):
        pending.update(int(i) for i in (payload or {}).get("thread_ids", []))
    if pending:
        hidden.update(session.scalars(select(Thread.id).where(
            Thread.instance_id == instance.id, Thread.id.in_(pending),
            Thread.status != PUBLISHED)))
    return frozenset(str(i) for i in hidden)


@dataclass
class ThreadHit:
    thread: Thread
    score: float
    excerpt: str


@dataclass
class ThreadSearch:
    total: int
    hits: list[ThreadHit]
    hubs: list[tuple[str, int]] = field(default_factory=list)  # the hub facet
    suggestion: str | None = None
    notices: tuple[str, ...] = ()


def search_threads(session: Session, instance: Instance, viewer: Member, *, text: str,
                   hub: str | None = None, page: int = 1, per_page: int = 20
                   ) -> ThreadSearch:
    """Threads of the hubs ``viewer`` may read matching a query; never one of another hub.
    Raises SearchUnavailable (503) while the thread index is missing or unreadable."""
    if viewer.instance_id != instance.id or viewer.status != "active":
        raise ServiceError("not_found", _("Not found."), status=404)
    if len(text) > 500:
        raise ServiceError("query_too_long", _("This query is too long."), status=422,
                           fields={"q": "at most 500 characters"})
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    index = thread_index(session, instance)
    try:
        index.refresh()
    except IndexUnavailable:
        raise SearchUnavailable() from None
    query = SearchQuery(text=text.strip(), organisation=hub or None, page=page,
                        per_page=per_page, language=viewer.locale or None,
                        excluded_ids=hidden_thread_ids(session, instance, viewer) or None)
    try:
        result = index.search(query)
    except QueryError as exc:
        message = localise(exc.message)
        raise ServiceError("invalid_query", message, status=422, fields={"q": message}) from None
    except IndexUnavailable:
        raise SearchUnavailable() from None
    ids = [int(h.id) for h in result.hits]
    threads = {t.id: t for t in _load(session, instance, ids)} if ids else {}
    snippets = _first_posts(session, instance, list(threads))
    hits = [ThreadHit(threads[int(h.id)], h.score, snippets.get(int(h.id), ""))
            for h in result.hits
            if int(h.id) in threads and threads[int(h.id)].status == PUBLISHED]
    return ThreadSearch(total=result.total, hits=hits,
                        hubs=[(str(v), n) for v, n in result.facets.get("organisation", [])],
                        suggestion=result.suggestion,
                        notices=tuple(localise(n) for n in result.notices))


def _first_posts(session: Session, instance: Instance, thread_ids: list[int]
                 ) -> dict[int, str]:
    if not thread_ids:
        return {}
    return {thread_id: excerpt(text) for thread_id, text in session.execute(
        select(Post.thread_id, Post.text).where(
            Post.instance_id == instance.id, Post.thread_id.in_(thread_ids),
            Post.opening.is_(True), Post.status == PUBLISHED))}
