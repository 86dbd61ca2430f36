"""Receiving activities: the checks of a signed POST to an inbox, in the order that costs
least and refuses first, then one row per activity id and a job for the worker.

1. size (MAX_BODY_BYTES, 413), the inbox exists (a member's, only while reachable; 404);
2. a signature is there and parses (401 ``unsigned`` / ``bad_signature``);
3. the signer's server is allowed: a refused server gets 403 before anything is fetched;
4. the body's digest is signed and matches (401 ``bad_digest``): draft-cavage ``Digest``
   (SHA-256), RFC 9421 ``Content-Digest``; the request target and the date are signed;
5. the Date (or ``created``) is within DATE_WINDOW of now (401 ``stale_date``);
6. the body is an activity: a JSON object with ``id``, ``type`` and ``actor`` (400);
7. the key: from the cache, else fetched (bounded: ``fetch.py``); a signature that does not
   verify with the cached copy refetches it once if the copy is older than REFETCH_AFTER
   (key rotation), then 401 ``bad_signature``;
8. the key's owner is the activity's actor (401 ``actor_mismatch``): we never accept an
   activity relayed by someone else (no Linked Data signatures, decision 47);
9. one row per activity id and instance (a repeat is answered 202 and not processed again),
   a ``federation_inbox`` job in the same transaction; 202.

Slow work (a key fetch) happens in read mode, before the short write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.db import begin_read, begin_write, flush_or_find, utcnow
from maillon.errors import Forbidden, ServiceError
from maillon.federation import signatures
from maillon.federation.delivery import record_success
from maillon.federation.fetch import FetchFailed
from maillon.federation.lifecycle import IGNORED, INBOX, RECEIVED
from maillon.federation.membership import find_published_member
from maillon.federation.models import InboxActivity
from maillon.federation.policy import REFUSED, federates, server_access
from maillon.federation.remote_keys import (
    REFETCH_AFTER,
    fetch_remote_key,
    find_remote_key,
    store_remote_key,
)
from maillon.jobs.services import enqueue, job_handler, periodic
from maillon.tenancy.models import Instance

MAX_BODY_BYTES = 256 * 1024
DATE_WINDOW = timedelta(hours=1)
#: Activity ids are remembered this long (a sender retries for about two days, Mastodon 16
#: tries over 2-3 days): a repeat within it is recognised.
INBOX_RETENTION = timedelta(days=7)
MAX_ACTIVITY_ID = 500


class Unauthorized(ServiceError):
    status = 401


@dataclass(frozen=True)
class Received:
    activity: InboxActivity
    duplicate: bool


def _refuse(code: str, message: str) -> Unauthorized:
    return Unauthorized(code, message)


def _check_digest(
    parsed: signatures.ParsedSignature, headers: Mapping[str, str], body: bytes
) -> None:
    if parsed.scheme == "rfc9421":
        if (
            "content-digest" not in parsed.covered
            or "@method" not in parsed.covered
            or ("@target-uri" not in parsed.covered)
        ):
            raise _refuse("bad_digest", "@method, @target-uri and content-digest must be signed")
        sent = headers.get("content-digest", "")
        expected = signatures.content_digest(body)
        if expected.split("=", 1)[1] not in sent or not sent.lower().startswith("sha-256="):
            raise _refuse("bad_digest", "Content-Digest does not match the body")
        return
    if "digest" not in parsed.covered or "(request-target)" not in parsed.covered:
        raise _refuse("bad_digest", "(request-target) and digest must be signed")
    sent = headers.get("digest", "")
    name, _, value = sent.partition("=")
    if (
        name.strip().lower() != "sha-256"
        or value.strip() != (signatures.sha256_digest(body).split("=", 1)[1])
    ):
        raise _refuse("bad_digest", "Digest does not match the body")


def _check_date(
    parsed: signatures.ParsedSignature, headers: Mapping[str, str], now: datetime
) -> None:
    if parsed.scheme == "rfc9421" or "(created)" in parsed.covered:
        if parsed.created is None:
            raise _refuse("stale_date", "created is required")
        moment = datetime.fromtimestamp(parsed.created, UTC)
    else:
        if "date" not in parsed.covered:
            raise _refuse("stale_date", "the Date header must be signed")
        try:
            moment = parsedate_to_datetime(headers.get("date", ""))
        except (TypeError, ValueError):
            raise _refuse("stale_date", "the Date header is not a date") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if abs(now - moment) > DATE_WINDOW:
        raise _refuse("stale_date", "the request's date is outside the accepted window")


#: Extension types a compound ``type`` is dispatched on first (``["Offer",
#: "IntroductionRequest"]``: our servers read the extension, others see an Offer).
EXTENSION_TYPES = ("IntroductionRequest",)


def activity_type(activity: dict[str, Any]) -> str:
    """The type an activity is handled as: its ``type``, or for a list of types the first
    extension type we know, else the first one."""
    kind = activity.get("type")
    if isinstance(kind, list):
        known = [t for t in kind if t in EXTENSION_TYPES]
        return str(known[0] if known else kind[0])
    return str(kind)


def _activity(body: bytes) -> dict[str, Any]:
    try:
        activity = json.loads(body)
    except ValueError:
        raise ServiceError("not_an_activity", "the body is not JSON") from None
    actor = activity.get("actor") if isinstance(activity, dict) else None
    if isinstance(actor, dict):
        actor = actor.get("id")
    if (
        not isinstance(activity, dict)
        or not isinstance(actor, str)
        or not (isinstance(activity.get("id"), str) and activity["id"])
        or not _typed(activity.get("type"))
    ):
        raise ServiceError("not_an_activity", "an activity has an id, a type and an actor")
    if len(activity["id"]) > MAX_ACTIVITY_ID or len(actor) > MAX_ACTIVITY_ID:
        raise ServiceError("not_an_activity", "the activity's id or actor is too long")
    activity["actor"] = actor
    return activity


def _typed(kind: Any) -> bool:
    """A type, or a short list of them (JSON-LD allows several)."""
    if isinstance(kind, list):
        return 0 < len(kind) <= 8 and all(isinstance(t, str) and t for t in kind)
    return isinstance(kind, str) and bool(kind)


def receive(
    session: Session,
    instance: Instance,
    *,
    member_id: int | None,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> Received:
    """Check a POST to an inbox; the stored activity (new, or the one already received)."""
    now = now or utcnow()
    begin_read(session)
    if len(body) > MAX_BODY_BYTES:
        raise ServiceError("too_large", "the activity is too large", status=413)
    if not federates(session, instance) or (
        member_id is not None
        and find_published_member(session, instance, member_id=member_id) is None
    ):
        raise ServiceError("not_found", "no such inbox", status=404)
    try:
        parsed = signatures.parse_signature(headers)
    except signatures.SignatureProblem as exc:
        raise _refuse(exc.code, str(exc)) from None
    signer_host = urlsplit(parsed.key_id).hostname or ""
    if server_access(session, instance, signer_host) == REFUSED:
        raise Forbidden("server_refused", "this server does not accept activities from yours")
    _check_digest(parsed, headers, body)
    _check_date(parsed, headers, now)
    activity = _activity(body)

    owner, fetched = verify_signer(session, instance, parsed, method, url, headers, now)
    if owner != activity["actor"]:
        raise _refuse("actor_mismatch", "the activity's actor is not the signer")

    begin_write(session)
    record_success(session, signer_host, now)  # it talks to us: it is up
    if fetched is not None:
        store_remote_key(session, parsed.key_id, fetched[0], fetched[1], now)
    existing = _find(session, instance, activity["id"])
    if existing is not None:
        session.commit()  # the refreshed key
        return Received(existing, True)
    row = InboxActivity(
        instance_id=instance.id,
        activity_id=activity["id"],
        type=activity_type(activity)[:40],
        actor=owner,
        member_id=member_id,
        payload=activity,
        received_at=now,
    )
    INBOX.apply(row, RECEIVED)
    session.add(row)
    raced = flush_or_find(session, lambda: _find(session, instance, activity["id"]))
    if raced is not None:
        return Received(raced, True)
    enqueue(session, "federation_inbox", {"activity": row.id}, instance_id=instance.id)
    session.commit()
    return Received(row, False)


def verify_signer(
    session: Session,
    instance: Instance,
    parsed: signatures.ParsedSignature,
    method: str,
    url: str,
    headers: Mapping[str, str],
    now: datetime,
) -> tuple[str, tuple[str, str] | None]:
    """The actor whose key made this signature, and the (owner, PEM) fetched to know it if it
    was not cached (the caller stores it in its write transaction). The key comes from the
    cache, else one bounded fetch; a signature that does not verify with a cached copy older
    than REFETCH_AFTER refetches it once (key rotation). 401 otherwise."""
    cached = find_remote_key(session, parsed.key_id)
    fetched: tuple[str, str] | None = None
    try:
        if cached is None:
            fetched = fetch_remote_key(session, instance, parsed.key_id, now)
            pem, owner = fetched[1], fetched[0]
        else:
            pem, owner = cached.public_pem, cached.actor
        valid = signatures.verify(parsed, pem, method, url, headers)
        if not valid and cached is not None and now - cached.fetched_at > REFETCH_AFTER:
            fetched = fetch_remote_key(session, instance, parsed.key_id, now)
            owner, pem = fetched
            valid = signatures.verify(parsed, pem, method, url, headers)
    except FetchFailed as exc:
        raise _refuse("key_unavailable", f"the signing key could not be fetched: {exc}") from None
    except signatures.SignatureProblem as exc:
        raise _refuse(exc.code, str(exc)) from None
    if not valid:
        raise _refuse("bad_signature", "the signature does not verify")
    return owner, fetched


def _find(session: Session, instance: Instance, activity_id: str) -> InboxActivity | None:
    return session.scalar(
        select(InboxActivity).where(
            InboxActivity.instance_id == instance.id, InboxActivity.activity_id == activity_id
        )
    )


#: type → handler(session, instance, row) returning the final status; the types the engine
#: acts on register here (connections: Follow, Accept, Reject, Undo).
HANDLERS: dict[str, Any] = {}


@job_handler("federation_inbox")
def process_activity(session: Session, job: Any) -> None:
    row = session.scalar(
        select(InboxActivity).where(
            InboxActivity.id == job.payload["activity"],
            InboxActivity.instance_id == job.instance_id,
        )
    )
    if row is None or row.status != RECEIVED:
        return  # pruned, or done by an earlier run of this job
    handler = HANDLERS.get(row.type)
    if handler is None:
        INBOX.apply(row, IGNORED)  # unknown types are dropped, as Mastodon does
    else:
        instance = session.get(Instance, row.instance_id)
        INBOX.apply(row, handler(session, instance, row))
    row.processed_at = utcnow()
    session.commit()


@periodic("prune_inbox", every_seconds=3600)
def prune_inbox(session: Session) -> None:
    """Forget activity ids older than INBOX_RETENTION (a repeat after that is new again), in
    short batches like every other pruning."""
    from maillon.ops.pruning import delete_in_batches

    delete_in_batches(
        session,
        InboxActivity,
        InboxActivity.id,
        InboxActivity.received_at < utcnow() - INBOX_RETENTION,
    )
