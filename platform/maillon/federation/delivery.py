"""Delivery that loses nothing: each activity to each inbox is a ``deliveries`` row written in
the transaction of the change that caused it, with a ``federation_deliver`` job; the worker
POSTs it signed, and retries on Mastodon's schedule until it is delivered, refused for good,
or its tries are spent (decision 47a).

* one row per activity and inbox (unique): a repeat queues nothing; recipients that share an
  inbox (a server's shared inbox) get one delivery (``delivery_inboxes``);
* the retry delay after the n-th failed try is n⁴ + 15 s plus up to half of n⁴ at random,
  times ``FEDERATION_RETRY_SCALE`` (tests shrink it); after MAX_ATTEMPTS (16) tries, about
  two to three days, the delivery has ``expired``;
* a 4xx answer other than 401, 408 and 429, or a 501, is final (``rejected``): the remote
  will not change its mind; anything else (5xx, timeouts, refused connections) is retried;
* a server refused by the policies when the try comes is ``rejected`` without a request;
* each day on which a delivery to a server expired counts for that server
  (``ServerHealth``); after ``FEDERATION_UNAVAILABLE_DAYS`` such days it is unavailable: new
  deliveries to it are not queued and queued ones expire without a request, until it
  answers (a success) or sends us an activity (``inbox.receive``);
* the HTTP request happens outside any database transaction; the job row survives restarts
  (a worker killed mid-try leaves the job to be claimed again; the row's ``attempts`` tell).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from maillon.db import settings, utcnow
from maillon.federation import urls
from maillon.federation.fetch import FetchFailed, exchange
from maillon.federation.keys import ensure_key, owner_of, private_key
from maillon.federation.lifecycle import DELIVERED, DELIVERY, EXPIRED, QUEUED, REJECTED
from maillon.federation.models import Delivery, ServerHealth
from maillon.federation.policy import REFUSED, normalise_domain, server_access
from maillon.jobs.services import enqueue, job_handler, periodic
from maillon.members.models import Member
from maillon.moderation.services import access_staff
from maillon.tenancy.models import Instance

MAX_ATTEMPTS = 16
#: Answers after which trying again is pointless (Mastodon's ``response_error_unsalvageable?``).
RETRIED_4XX = (401, 408, 429)
MAX_ERROR = 500
MAX_LISTED_SERVERS = 100
#: Finished deliveries are kept this long (the admins' view reads the last 7 days).
DELIVERY_RETENTION = timedelta(days=30)


def retry_delay(attempt: int, scale: float = 1.0, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempt``-th failed try (Mastodon's DeliveryWorker)."""
    base = attempt**4
    return (base + 15 + (rng or random).uniform(0, 0.5 * base)) * scale


def final_answer(status: int) -> bool:
    """Whether an HTTP status ends the delivery without another try."""
    return status == 501 or (400 <= status < 500 and status not in RETRIED_4XX)


def delivery_inboxes(actors: Iterable[dict[str, Any]]) -> list[str]:
    """The inboxes to deliver to for these actor documents: each server's shared inbox once,
    else the actor's own inbox (ActivityPub §7.1.3)."""
    chosen: dict[str, None] = {}
    for actor in actors:
        endpoints = actor.get("endpoints")
        shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
        inbox = shared if isinstance(shared, str) and shared else actor.get("inbox")
        if isinstance(inbox, str) and inbox.startswith(("https://", "http://")):
            chosen.setdefault(inbox)
    return list(chosen)


def _host(url: str) -> str:
    return normalise_domain(urlsplit(url).hostname or "")


def _unavailable(session: Session, host: str) -> bool:
    return (
        session.scalar(
            select(ServerHealth.id).where(
                ServerHealth.host == host, ServerHealth.unavailable_since.is_not(None)
            )
        )
        is not None
    )


def queue_delivery(
    session: Session,
    instance: Instance,
    signer: Member | None,
    activity: dict[str, Any],
    inboxes: Iterable[str],
) -> list[Delivery]:
    """Add one delivery (and its job) per inbox to the caller's transaction; refused and
    unavailable servers, and inboxes that already have this activity, get none."""
    made = []
    for inbox in dict.fromkeys(inboxes):
        host = _host(inbox)
        if server_access(session, instance, host) == REFUSED or _unavailable(session, host):
            continue
        exists = session.scalar(
            select(Delivery.id).where(
                Delivery.instance_id == instance.id,
                Delivery.activity_id == activity["id"],
                Delivery.inbox == inbox,
            )
        )
        if exists is not None:
            continue
        row = Delivery(
            instance_id=instance.id,
            activity_id=activity["id"],
            inbox=inbox,
            host=host,
            signer=owner_of(signer),
            member_id=signer.id if signer else None,
            payload=activity,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        DELIVERY.apply(row, QUEUED)
        session.add(row)
        session.flush()
        enqueue(session, "federation_deliver", {"delivery": row.id}, instance_id=instance.id)
        made.append(row)
    return made


def _signer(session: Session, instance: Instance, row: Delivery) -> Member | None:
    if row.member_id is None:
        return None
    return session.scalar(
        select(Member).where(Member.instance_id == instance.id, Member.id == row.member_id)
    )


@job_handler("federation_deliver")
def deliver(session: Session, job: Any) -> None:
    """One try of one delivery (the job of ``queue_delivery``, or of a retry)."""
    row = session.scalar(
        select(Delivery).where(
            Delivery.id == job.payload["delivery"], Delivery.instance_id == job.instance_id
        )
    )
    if row is None or row.status != QUEUED:
        return  # done by an earlier run of this job
    instance = session.get(Instance, row.instance_id)
    assert instance is not None
    now = utcnow()
    if server_access(session, instance, row.host) == REFUSED:
        _finish(row, REJECTED, now, error="refused by the federation policies")
        return
    if _unavailable(session, row.host):
        _finish(row, EXPIRED, now, error="the server is unavailable")
        return
    signer = _signer(session, instance, row)
    key = ensure_key(session, instance, signer)
    actor = urls.member_actor(instance, signer.id) if signer else urls.instance_actor(instance)
    key_id, secret = urls.key_id(actor, key.generation), private_key(session, key)
    body = json.dumps(row.payload, ensure_ascii=False).encode()
    config = settings(session)
    delivery_id, inbox = row.id, row.inbox
    session.commit()  # no transaction is held during the request
    status: int | None = None
    try:
        status, _ = exchange(
            "POST",
            inbox,
            key_id=key_id,
            private_key=secret,
            now=now,
            body=body,
            dev_network=bool(config.get("FEDERATION_DEV_NETWORK")),
        )
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except FetchFailed as exc:
        error = str(exc)
    row = session.scalar(select(Delivery).where(Delivery.id == delivery_id))
    if row is None or row.status != QUEUED:
        return
    row.attempts += 1
    row.last_status = status
    done = utcnow()
    if status is not None and 200 <= status < 300:
        _finish(row, DELIVERED, done)
        record_success(session, row.host, done)
    elif status is not None and final_answer(status):
        _finish(row, REJECTED, done, error=error)
    elif row.attempts >= MAX_ATTEMPTS:
        _finish(row, EXPIRED, done, error=error)
        record_exhausted(session, row.host, done, int(config["FEDERATION_UNAVAILABLE_DAYS"]))
    else:
        delay = timedelta(
            seconds=retry_delay(row.attempts, float(config["FEDERATION_RETRY_SCALE"]))
        )
        DELIVERY.apply(row, QUEUED)
        row.last_error = error[:MAX_ERROR]
        row.next_attempt_at = done + delay
        enqueue(
            session,
            "federation_deliver",
            {"delivery": row.id},
            instance_id=row.instance_id,
            delay=delay,
        )


def _finish(row: Delivery, status: str, now: datetime, error: str = "") -> None:
    DELIVERY.apply(row, status)
    row.finished_at = now
    row.last_error = error[:MAX_ERROR]


# ---------------------------------------------------------------------- servers' health


def _health(session: Session, host: str) -> ServerHealth:
    row = session.scalar(select(ServerHealth).where(ServerHealth.host == host))
    if row is None:
        row = ServerHealth(host=host, failure_days=0)
        session.add(row)
    return row


def record_exhausted(session: Session, host: str, now: datetime, unavailable_days: int) -> None:
    """A delivery to ``host`` spent its tries: one more failure day (once per day)."""
    row = _health(session, host)
    today: date = now.date()
    if row.last_failure_day != today:
        row.failure_days += 1
        row.last_failure_day = today
    if row.failure_days >= unavailable_days and row.unavailable_since is None:
        row.unavailable_since = now


def record_success(session: Session, host: str, now: datetime) -> None:
    """``host`` answered (a delivery went through, or it sent us an activity): available."""
    row = session.scalar(select(ServerHealth).where(ServerHealth.host == host))
    if row is not None and (row.failure_days or row.unavailable_since):
        row.failure_days, row.last_failure_day, row.unavailable_since = 0, None, None
    if row is not None:
        row.last_success_at = now


# ---------------------------------------------------------------------- what admins see


def delivery_overview(session: Session, instance: Instance, admin: Member | None) -> dict[str, Any]:
    """The instance's deliveries: how many wait, went, were refused or expired (the last 7
    days), and per server (up to MAX_LISTED_SERVERS, most waiting first) what waits, what
    failed, the last error and whether the server is unavailable (admins only)."""
    access_staff(instance, admin, admin=True)
    since = utcnow() - timedelta(days=7)
    recent = (Delivery.status == QUEUED) | (Delivery.finished_at >= since)
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.instance_id == instance.id, recent)
            .group_by(Delivery.status)
        ).all()
    )
    waiting = func.sum(case((Delivery.status == QUEUED, 1), else_=0))
    failed = func.sum(case((Delivery.status.in_((REJECTED, EXPIRED)), 1), else_=0))
    per_server = session.execute(
        select(Delivery.host, waiting, failed, func.max(Delivery.id))
        .where(Delivery.instance_id == instance.id, recent)
        .group_by(Delivery.host)
        .order_by(waiting.desc(), failed.desc(), Delivery.host)
        .limit(MAX_LISTED_SERVERS)
    ).all()
    hosts = [r[0] for r in per_server]
    health = {
        h.host: h for h in session.scalars(select(ServerHealth).where(ServerHealth.host.in_(hosts)))
    }
    errors = dict(
        session.execute(
            select(Delivery.host, Delivery.last_error).where(
                Delivery.id.in_([r[3] for r in per_server])
            )
        ).all()
    )

    def unavailable_since(host: str) -> str | None:
        since = health[host].unavailable_since if host in health else None
        return since.isoformat() if since is not None else None

    return {
        "queued": counts.get(QUEUED, 0),
        "delivered": counts.get(DELIVERED, 0),
        "rejected": counts.get(REJECTED, 0),
        "expired": counts.get(EXPIRED, 0),
        "servers": [
            {
                "host": host,
                "queued": int(queued or 0),
                "failed": int(failed_count or 0),
                "last_error": errors.get(host) or "",
                "failure_days": health[host].failure_days if host in health else 0,
                "unavailable_since": unavailable_since(host),
            }
            for host, queued, failed_count, _ in per_server
        ],
    }


@periodic("prune_deliveries", every_seconds=3600)
def prune_deliveries(session: Session) -> None:
    """Forget finished deliveries older than DELIVERY_RETENTION, in short batches."""
    from maillon.ops.pruning import delete_in_batches

    delete_in_batches(
        session,
        Delivery,
        Delivery.id,
        Delivery.status.in_((DELIVERED, REJECTED, EXPIRED))
        & (Delivery.finished_at < utcnow() - DELIVERY_RETENTION),
    )
