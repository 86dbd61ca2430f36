"""Flask extensions, created unbound and attached in the app factory."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import flask_babel
import flask_limiter
from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from maillon import ratelimit_storage  # noqa: F401  (registers the sqlite:// limits storage)

RATELIMIT_FILE = "ratelimits.sqlite"


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter whose default storage is a SQLite file in var/, shared by the processes
    of one machine (the in-memory storage would give each worker its own counters)."""

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        # Limits here are per route (their decorators check them); the before_request check
        # would only evaluate nothing, on every request. Default or blueprint limits revive it.
        manager = self.limit_manager
        if in_middleware and not (manager._default_limits or manager._application_limits
                                  or manager._blueprint_limits):
            return
        super()._check_request_limit(callable_name, in_middleware)

    def init_app(self, app: Flask) -> None:
        if not app.config.get("RATELIMIT_STORAGE_URI"):
            path = Path(app.config["VAR_DIR"]).resolve() / RATELIMIT_FILE
            app.config["RATELIMIT_STORAGE_URI"] = f"sqlite:///{path}"
        super().init_app(app)


class Babel(flask_babel.Babel):
    """Flask-Babel whose gettext elides French "de" before a vowel (maillon.elision)."""

    @cached_property
    def domain_instance(self) -> flask_babel.Domain:
        from maillon.elision import ElidingDomain

        return ElidingDomain(domain=self.domain)


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Limits are declared where they apply (login); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configured_limit(setting: str) -> Callable[[], str]:
    """A limit string read from the process config at request time (pages and API share it)."""

    def limit() -> str:
        return str(current_app.config[setting])

    limit.__name__ = f"limit_{setting.lower()}"
    return limit


login_limit = configured_limit("LOGIN_RATE_LIMIT")
mail_limit = configured_limit("MAIL_RATE_LIMIT")
registration_limit = configured_limit("REGISTRATION_RATE_LIMIT")
# The login page and POST /api/v1/tokens count together per client address: alternating
# between them buys an attacker nothing.
login_address_limit = limiter.shared_limit(login_limit, scope="login", methods=["POST"])
# Registrations too: the /register page and POST /api/v1/members share one counter.
registration_address_limit = limiter.shared_limit(registration_limit, scope="registration",
                                                  methods=["POST"])


def _no_lookup() -> bool:
    """A GET without an address (the empty lookup page) fetches nothing: it does not count."""
    return request.method == "GET" and not request.args.get("address", "").strip()


# Looking someone up on another server makes this server fetch from theirs: the page and the
# API (lookups and requests to connect) share one counter per client address; opening the
# empty lookup page is not a lookup (decision 57).
remote_lookup_limit = limiter.shared_limit(configured_limit("REMOTE_LOOKUP_RATE_LIMIT"),
                                           scope="remote-lookup", exempt_when=_no_lookup)
