"""Idempotency-Key for state-changing requests: a repeat replays the first answer.

A ``pending`` row is committed before the view runs; the unique constraint on (instance,
scope, key) makes sure two simultaneous requests with one key never both execute: the loser
waits a moment for the answer, then gets 409 ``idempotency_in_progress``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.api.errors import NotJson, exception_reply, load_json
from maillon.api.models import IdempotencyKey
from maillon.db import db, utcnow
from maillon.errors import Conflict, ServiceError
from maillon.members.models import Member
from maillon.tenancy.models import Instance

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)  # after this a key may be used again
STALE_AFTER = timedelta(seconds=60)  # a pending row this old belongs to a process that died
WAIT_SECONDS = 2.0
POLL_SECONDS = 0.05

Reply = tuple[Any, int]
F = TypeVar("F", bound=Callable[..., Reply])


def idempotent(view: F) -> F:
    """Decorate a view returning ``(body, status)``: with an Idempotency-Key, run it once.

    The caller is ``g.api_member`` (set by authentication) or anonymous; apply after auth.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Reply:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return view(*args, **kwargs)
        key = _checked_key(raw_key)
        session = db.session
        claimed = claim_key(session, g.instance, g.get("api_member"), key, request_fingerprint())
        if not isinstance(claimed, IdempotencyKey):
            g.idempotent_replay = True
            return claimed
        try:
            body, status = view(*args, **kwargs)
        except Exception as exc:
            session.rollback()  # nothing half-written
            reply = exception_reply(exc)
            if reply is None:
                release_key(session, claimed)
            else:
                complete_key(session, claimed, *reply)
            raise
        if status >= 500:
            release_key(session, claimed)
        else:
            complete_key(session, claimed, body, status)
        return body, status

    return cast(F, wrapper)


def _checked_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > 255 or not key.isprintable():
        raise ServiceError("invalid_idempotency_key", _(
            "The Idempotency-Key header must hold 1 to 255 printable characters."), status=400)
    return key


def request_fingerprint() -> str:
    """HMAC of method, path and canonical JSON body (key order and spacing do not matter)."""
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(load_json(raw), sort_keys=True, separators=(",", ":")).encode()
    except NotJson:
        canonical = raw
    message = f"{request.method} {request.path}\n".encode() + canonical
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _scope(member: Member | None) -> str:
    return f"member:{member.id}" if member is not None else "anonymous"


def claim_key(session: Session, instance: Instance, member: Member | None, key: str,
              fingerprint: str) -> IdempotencyKey | Reply:
    """Our pending row (run the request), or the first answer to replay."""
    scope = _scope(member)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = IdempotencyKey(instance_id=instance.id, scope=scope, key=key,
                             member_id=member.id if member else None, fingerprint=fingerprint)
        session.add(row)
        try:
            session.commit()
            return row
        except IntegrityError:
            session.rollback()
        existing = session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.instance_id == instance.id, IdempotencyKey.scope == scope,
            IdempotencyKey.key == key))
        now = utcnow()
        if existing is None:  # released by a failed first attempt: try again
            continue
        if existing.created_at < now - KEY_TTL:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
            session.commit()
            continue
        if existing.fingerprint != fingerprint:
            session.rollback()
            raise ServiceError("idempotency_key_reused", _(
                "This Idempotency-Key was used for a different request."), status=422)
        if existing.state == "done":
            reply = (existing.response_body, int(existing.response_status or 200))
            session.rollback()
            return reply
        if existing.created_at < now - STALE_AFTER and _take_over(session, existing):
            return existing
        session.rollback()
        if time.monotonic() >= deadline:
            raise Conflict("idempotency_in_progress", _(
                "A request with this Idempotency-Key is still being processed; retry shortly."))
        time.sleep(POLL_SECONDS)


def _take_over(session: Session, row: IdempotencyKey) -> bool:
    """Claim an abandoned pending row; only one of several takers wins."""
    result = session.execute(update(IdempotencyKey).where(
        IdempotencyKey.id == row.id, IdempotencyKey.state == "pending",
        IdempotencyKey.created_at == row.created_at).values(created_at=utcnow()))
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def complete_key(session: Session, row: IdempotencyKey, body: Any, status: int) -> None:
    """Store the answer that repeats will get."""
    session.execute(update(IdempotencyKey).where(IdempotencyKey.id == row.id).values(
        state="done", response_status=status, response_body=body, completed_at=utcnow()))
    session.commit()


def release_key(session: Session, row: IdempotencyKey) -> None:
    """Forget a key whose request failed on our side, so that the client can retry."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
    session.commit()
