"""The app factory."""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from maillon import i18n
from maillon.config import load_process_config
from maillon.db import db
from maillon.extensions import csrf, limiter, login_manager
from maillon.pagination import BoundedIntConverter
from maillon.tenancy import resolution
from maillon.tenancy.registry import REGISTRY, InstanceRegistry

log = logging.getLogger("maillon")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
       "object-src 'none'")


class InstanceCookieSessions(SecureCookieSessionInterface):
    """Under /i/<slug>/ the session cookie is scoped to that prefix, so instances served from
    one development host never share a login. On their own hosts, cookies are per host."""

    def get_cookie_path(self, app: Flask) -> str:
        return request.script_root or "/"

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # An API call, a probe or a first visit carries no cookie: an empty session, without
        # building the signing serializer (Flask builds it, and derives its key, per request).
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _secret_key(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    try:  # created readable by the owner only, never briefly world-readable
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    config = load_process_config(test_config)
    var_dir = Path(config["VAR_DIR"])
    var_dir.mkdir(parents=True, exist_ok=True)
    # Flask's own "instance folder" is our var/: in Maillon "instance" means a tenant.
    app = Flask(__name__, instance_path=str(var_dir.resolve()))
    app.config.update(config)
    app.config.setdefault("MAX_CONTENT_LENGTH", int(config["MAX_PHOTO_BYTES"]) + 512 * 1024)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(var_dir)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{var_dir.resolve() / 'maillon.db'}"
    from maillon.finder.backends import backend_name

    backend_name(app.config)  # a search backend that cannot work stops the start, clearly
    app.config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URI"]
    # Assigned, not setdefault: Flask already defines these keys (SameSite None, Secure off).
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Behind HTTPS (what e-mail links say), the session cookie never travels in clear; a
    # config file may still ask for it explicitly.
    app.config["SESSION_COOKIE_SECURE"] = bool(config.get("SESSION_COOKIE_SECURE")) or (
        app.config["SERVER_NAME_SCHEME"] == "https" and not app.config["LOCAL_LINKS"])
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.session_interface = InstanceCookieSessions()
    app.url_map.converters["int"] = BoundedIntConverter

    app.extensions[REGISTRY] = registry = InstanceRegistry(
        Path(app.config["INSTANCES_DIR"]), Path(app.config["THEMES_DIR"]),
        refresh_seconds=float(app.config["INSTANCE_REFRESH_SECONDS"]))

    db.init_app(app)
    db.provide(app, REGISTRY, registry)  # the operator's services refresh it after a change
    _register_request_id(app)  # even a request refused by resolution (404) carries one
    resolution.init_app(app)  # before anything else that runs per request
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Otherwise every visitor has the proxy's address and shares one login-throttle bucket.
        # The Host header is not taken from X-Forwarded-Host: the proxy passes Host through.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    _register_blueprints(app)
    from maillon import ops

    ops.init_app(app)  # logging, access lines, metrics, /healthz /readyz /metrics
    from maillon.finder import indexing
    from maillon.network import graph

    # The process's graphs and search indexes, given to every session (after ops has
    # checked the retention settings the graphs read).
    graph.install(app)
    indexing.install(app)
    from maillon import errorpages

    errorpages.init_app(app)
    db.writes_from_view(app)  # the last before_request
    from maillon.cli import register_cli

    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    # Importing these registers job handlers and signal receivers too.
    from maillon.accounts import auth
    from maillon.accounts.bulk_views import bp as invitations_bp
    from maillon.accounts.views import bp as accounts_bp
    from maillon.api import bp as api_bp
    from maillon.dev.views import bp as dev_bp
    from maillon.federation.admin_views import bp as federation_admin_bp
    from maillon.federation.views import bp as federation_bp
    from maillon.finder.views import bp as finder_bp
    from maillon.hubs.views import bp as hubs_bp
    from maillon.introductions.views import bp as introductions_bp
    from maillon.members.views import bp as members_bp
    from maillon.moderation import notifications as _moderation_kinds  # noqa: F401
    from maillon.moderation import sanctions as _sanctions  # noqa: F401  (expiry, periodic)
    from maillon.moderation.views import bp as moderation_bp
    from maillon.network import graph as _graph  # noqa: F401  (periodic snapshots)
    from maillon.network.feedback_views import bp as feedback_bp
    from maillon.network.views import bp as network_bp
    from maillon.notifications import receivers as _receivers  # noqa: F401
    from maillon.notifications.views import bp as notifications_bp
    from maillon.operators.views import bp as operators_bp
    from maillon.opportunities.views import bp as opportunities_bp
    from maillon.organisations import reach as _reach  # noqa: F401  (daily snapshots)
    from maillon.organisations.views import bp as organisations_bp
    from maillon.questions.views import bp as questions_bp
    from maillon.rights import retention as _retention  # noqa: F401  (periodic purge)
    from maillon.rights.views import bp as rights_bp
    from maillon.statistics.views import bp as statistics_bp
    from maillon.tenancy.appearance_views import bp as appearance_bp
    from maillon.tenancy.policy_views import bp as policies_bp
    from maillon.tenancy.views import bp as tenancy_bp

    auth.init_app(app)
    app.register_blueprint(tenancy_bp)
    app.register_blueprint(policies_bp)
    app.register_blueprint(appearance_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(finder_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(introductions_bp)
    app.register_blueprint(hubs_bp)
    app.register_blueprint(questions_bp)
    app.register_blueprint(opportunities_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(rights_bp)
    app.register_blueprint(federation_bp)
    app.register_blueprint(federation_admin_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(operators_bp)
    if app.config["DEV_OUTBOX"]:
        app.register_blueprint(dev_bp)
    csrf.exempt(api_bp)
    csrf.exempt(federation_bp)  # servers sign their POSTs; there is no form


def _register_request_id(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]

    @app.after_request
    def _send_request_id(response: Any) -> Any:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        # No framing (clickjacking), no sniffing, no scripts but our own files.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response


__all__ = ["create_app", "Request"]
