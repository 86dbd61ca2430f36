"""Login throttling that an attacker cannot turn against the account's owner.

Three counters (docs/decisions.md, "Login throttling"), all in the shared rate-limit storage:

- every login attempt, page or API, per client address (Flask-Limiter, ``login_address_limit``);
- FAILED attempts per account from devices where the account never logged in: past
  LOGIN_RATE_LIMIT, such devices must wait;
- FAILED attempts per account and remembered device: a browser where the account logged in
  before carries a signed device cookie, and counts apart, so the owner's usual browser still
  logs in while strangers hammer the account.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from maillon.extensions import limiter
from maillon.security import digest
from maillon.tenancy.models import Instance

DEVICE_COOKIE = "maillon_device"
DEVICE_SALT = "maillon.login-device"
UNKNOWN_DEVICES = "unknown-devices"
MAX_REMEMBERED_ACCOUNTS = 5  # a shared family computer; more is not a person's browser


class LoginThrottled(TooManyRequests):
    """A 429 that knows how long to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """One login attempt: the account's digest and the counter its failure goes to."""

    account: str
    identifiers: tuple[str, ...]
    device: str | None


def _items() -> list[RateLimitItem]:
    return parse_many(str(current_app.config["LOGIN_RATE_LIMIT"]))


def _account(instance: Instance, email: str) -> str:
    # A digest: the storage (Redis, a file) never holds the addresses people typed. Unknown
    # addresses count like known ones, so a 429 never tells which addresses exist.
    return digest(f"{instance.id}:{email.strip().lower()}")[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _device_cookie() -> dict[str, Any]:
    """The verified device cookie of this request: ``{"d": device id, "a": [accounts]}``."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    max_age = int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400
    try:
        data = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return {}
    if (not isinstance(data, dict) or not isinstance(data.get("d"), str)
            or not isinstance(data.get("a"), list)):
        return {}
    return data


def check_login(instance: Instance, email: str) -> Attempt:
    """Before the password is checked: a 429 while this account's failures, counted for this
    device (or for all unknown devices together), are over LOGIN_RATE_LIMIT."""
    account = _account(instance, email)
    cookie = _device_cookie()
    device = cookie["d"] if account in cookie.get("a", []) else None
    identifiers = _identifiers(account, f"device:{device}" if device else UNKNOWN_DEVICES)
    attempt = Attempt(account=account, identifiers=identifiers, device=device)
    if not limiter.enabled:
        return attempt
    now = time.time()
    waits = [limiter.limiter.get_window_stats(item, *identifiers).reset_time - now
             for item in _items() if not limiter.limiter.test(item, *identifiers)]
    if waits:
        raise LoginThrottled(max(1, math.ceil(max(waits))))
    return attempt


def record_failure(attempt: Attempt) -> None:
    """A wrong password (or unknown address): count it against the account on this device."""
    if limiter.enabled:
        for item in _items():
            limiter.limiter.hit(item, *attempt.identifiers)


def remember_device(attempt: Attempt) -> None:
    """After a successful login: this browser is now a known device for the account."""
    cookie = _device_cookie()
    device = cookie.get("d") or secrets.token_urlsafe(16)
    accounts = [a for a in cookie.get("a", []) if a != attempt.account][
        -(MAX_REMEMBERED_ACCOUNTS - 1):]
    value = _serializer().dumps({"d": device, "a": [*accounts, attempt.account]})
    days = int(current_app.config["LOGIN_DEVICE_DAYS"])

    @after_this_request
    def _set_cookie(response: Response) -> Response:
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=days * 86400, path=request.script_root or "/",
            httponly=True, secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
            samesite="Lax")
        return response


def forget_failures(instance: Instance, email: str) -> None:
    """After a password reset (the link proves the owner): unknown devices may try again."""
    if limiter.enabled:
        identifiers = _identifiers(_account(instance, email), UNKNOWN_DEVICES)
        for item in _items():
            limiter.limiter.clear(item, *identifiers)


def _identifiers(account: str, scope: str) -> tuple[str, ...]:
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "")
    return (*([prefix] if prefix else []), "login-failures", account, scope)
