"""Resolving the instance once per request, from the Host header or a /i/<slug>/ prefix.

An unknown host or slug is a 404: resolution fails closed. The path prefix is moved into
SCRIPT_NAME by a small WSGI middleware, so ``url_for`` keeps producing prefixed links.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from maillon.db import db
from maillon.errors import ServiceError
from maillon.tenancy.models import DISABLED
from maillon.tenancy.registry import get_registry
from maillon.tenancy.services import INSTANCE_CACHE, instance_cache

log = logging.getLogger(__name__)
PREFIX_RE = re.compile(r"^/i/([a-z0-9-]+)(/.*)?$")
SLUG_ENVIRON_KEY = "maillon.instance_slug"
# Endpoints that belong to the deployment, not to an instance.
DEPLOYMENT_ENDPOINTS = {"static", "tenancy.deployment_index", "dev.outbox", "dev.outbox_message"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
# Served for any Host, before any lookup: probes often use an address as the host.
HOSTLESS_ENDPOINTS = {"ops.healthz", "ops.readyz", "ops.metrics"}


class InstancePrefixMiddleware:
    """Moves ``/i/<slug>`` from PATH_INFO to SCRIPT_NAME and remembers the slug."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        match = PREFIX_RE.match(environ.get("PATH_INFO", ""))
        if match:
            slug = match.group(1)
            environ[SLUG_ENVIRON_KEY] = slug
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + f"/i/{slug}"
            environ["PATH_INFO"] = match.group(2) or "/"
        return self.wsgi_app(environ, start_response)


def request_host() -> str:
    host = request.host.lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0]


def is_development_host(host: str) -> bool:
    """Loopback names, ``*.localhost`` and the hosts listed in DEV_HOSTS (``/i/<slug>/`` hosts)."""
    listed = {h.strip().lower() for h in str(current_app.config["DEV_HOSTS"]).split(",")}
    return host in LOOPBACK_HOSTS or host.endswith(".localhost") or host in listed - {""}


class InstanceClosed(ServiceError):
    """Every request to a disabled instance: its data stays, nothing is served."""

    status = 503

    def __init__(self, name: str) -> None:
        super().__init__("instance_disabled", _("%(name)s is closed for now.", name=name))


def operator_host() -> str:
    return str(current_app.config["OPERATOR_HOST"]).strip().lower()


def _operator_request(host: str, prefixed: str | None) -> bool:
    """Whether this request is for the operator's pages; 404 for them anywhere else, and for
    anything but them (and static files) on the operator host."""
    endpoint = request.endpoint or ""
    on_operator_host = bool(operator_host()) and host == operator_host()
    if endpoint.startswith("operators."):
        if not on_operator_host or prefixed is not None:
            abort(404)
        return True
    if on_operator_host:
        if request.path == "/" and prefixed is None:
            abort(redirect(url_for("operators.home")))
        if endpoint != "static" or prefixed is not None:
            abort(404)
        return True
    return False


def resolve_instance() -> None:
    """before_request: set g.instance and g.instance_config, or 404."""
    g.instance = None
    g.instance_config = None
    # A request normally gets a fresh `g`; where a test reuses an app context, forget the
    # member Flask-Login cached for the previous request (it may be another instance's).
    g.pop("_login_user", None)
    if request.endpoint in HOSTLESS_ENDPOINTS:
        return  # probes and scrapers: no instance, no database
    registry = get_registry()
    try:
        registry.refresh(db.session)  # instances the operator created or moved (throttled)
    except SQLAlchemyError:
        # The database is away: serve with the hosts known so far (a request that needs the
        # database answers 503 by itself; the deployment's pages need none).
        db.session.rollback()
        log.warning("instance rows not read again: the database did not answer", exc_info=True)
    host = request_host()
    prefixed = request.environ.get(SLUG_ENVIRON_KEY)
    if _operator_request(host, prefixed):
        return  # the operator's pages: no instance
    if prefixed is not None and (host in registry.hosts or not is_development_host(host)):
        # /i/<slug>/ is for development hosts: on an instance's own domain, or any public
        # name, it would let one origin serve every tenant (shared cookies and scripts).
        abort(404)
    if (request.endpoint or "").startswith("dev.") and (
            prefixed is not None or host not in LOOPBACK_HOSTS):
        abort(404)  # the development outbox holds every tenant's mail: loopback only
    slug = prefixed or registry.hosts.get(host)
    if slug is None or slug not in registry.configs:
        loopback = host in LOOPBACK_HOSTS
        if prefixed is None and (
                request.endpoint == "static"
                or (request.endpoint in DEPLOYMENT_ENDPOINTS and loopback)
                or (request.endpoint == "tenancy.home" and loopback)):
            return
        abort(404)
    instance = instance_cache(current_app).find(db.session, slug)
    if instance is None:  # configured but never synced: treat as unknown
        abort(404)
    if instance.status == DISABLED:
        raise InstanceClosed(instance.name)
    g.instance = instance
    g.instance_config = registry.configs[slug]
    db.session.info["instance_id"] = instance.id


def init_app(app: Flask) -> None:
    app.wsgi_app = InstancePrefixMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(resolve_instance)
    db.provide(app, INSTANCE_CACHE, instance_cache(app))  # settings changes forget rows
