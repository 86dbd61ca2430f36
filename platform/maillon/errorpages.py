"""Error responses: JSON bodies under /api/, themed pages elsewhere; never a bare 500 for
bad input, and server errors logged with the request id."""

from __future__ import annotations

import logging
import math
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, jsonify, make_response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from maillon.errors import ServiceError
from maillon.security import is_local_path

log = logging.getLogger("maillon.errors")
DATABASE_RETRY_AFTER = 5

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
         415: "unsupported_media_type", 422: "validation_failed", 429: "rate_limited",
         500: "server_error", 503: "unavailable"}

# Page texts in the visitor's language for Werkzeug's stock errors (its own texts are English).
PAGE_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Access denied"), _l("You are not allowed to see this page.")),
    404: (_l("Page not found"), _l("This page does not exist, or not any more.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("Please wait a moment before trying again.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None,
               **extra: Any) -> Any:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def http_error(exc: HTTPException) -> Any:
    """The JSON body or themed page for an HTTP error (blueprint handlers fall back on it)."""
    status = exc.code or 500
    if status == 429:
        return too_many_requests(exc)
    if wants_json():
        response = json_error(status, CODES.get(status, "error"), exc.description or exc.name)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="maillon"'
        return response
    title, message = exc.name, exc.description
    if status in PAGE_TEXTS and message == type(exc).description:  # not a custom text
        title, message = (str(text) for text in PAGE_TEXTS[status])
    return _page(status, title, message), status


def retry_after(exc: HTTPException) -> int:
    """Seconds until a 429 ends: carried by the exception, or read from the breached limit."""
    wait: float | None = getattr(exc, "retry_after", None)
    if wait is None:
        from maillon.extensions import limiter

        current = limiter.current_limit if limiter.enabled else None
        if current is not None and current.breached:
            wait = current.window.reset_time - time.time()
    return max(1, math.ceil(wait if wait is not None else 60))


def wait_message(seconds: int) -> str:
    """"Too many attempts. Try again in 40 seconds." (minutes from a minute and a half)."""
    if seconds < 90:
        return ngettext("Too many attempts. Try again in %(num)d second.",
                        "Too many attempts. Try again in %(num)d seconds.", seconds)
    return ngettext("Too many attempts. Try again in %(num)d minute.",
                    "Too many attempts. Try again in %(num)d minutes.", math.ceil(seconds / 60))


def too_many_requests(exc: HTTPException, page: Any = None) -> Any:
    """A 429 with Retry-After: JSON ``rate_limited`` with ``retry_after`` under /api/, else
    ``page`` (a form re-rendered with what was typed) or the themed error page."""
    wait = retry_after(exc)
    if wants_json():
        response = json_error(429, "rate_limited", wait_message(wait), retry_after=wait)
    else:
        if page is None:
            page = _page(429, str(PAGE_TEXTS[429][0]), wait_message(wait))
        response = make_response(page, 429)
    response.headers["Retry-After"] = str(wait)
    return response


def csrf_failed(exc: CSRFError) -> Any:
    """A form sent without its CSRF token, or with an expired one: say what happened and how
    to go on, in the page's language (Flask-WTF's reason is English and technical)."""
    log.info("CSRF check failed, request id %s: %s", g.get("request_id"), exc.description)
    message = _("The form could not be sent: the page was open for too long, or your session "
                "ended. Reload the page and send the form again (what you typed may need to "
                "be typed again).")
    if wants_json():
        return json_error(400, "csrf_failed", message)
    parts = urlsplit(request.referrer or "")
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc != request.host or not is_local_path(back):
        back = ""  # only back to a page of this site
    return _page(400, _("The form has expired"), message, back=back), 400


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_failed)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Any:
        if wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        # The stable code is for API clients; people get a heading in their language.
        title = PAGE_TEXTS[exc.status][0] if exc.status in PAGE_TEXTS else _l("Not possible")
        return _page(exc.status, str(title), exc.message), exc.status

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError) -> Any:
        # The database restarting, unreachable, or a statement past its budget: the request
        # can be tried again, so say so (503 + Retry-After) rather than "server error".
        log.warning("database unavailable, request id %s: %s", g.get("request_id"),
                    str(exc.orig or exc).splitlines()[0])
        _discard_session()
        message = _("The service is busy for a moment. Please try again in a few seconds.")
        if wants_json():
            response = json_error(503, "database_unavailable", message)
        else:
            response = make_response(_page(503, _("Please try again"), message), 503)
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        log.exception("server error, request id %s", g.get("request_id"))
        if wants_json():
            return json_error(500, "server_error",
                              f"Server error (request id {g.get('request_id')}).")
        return _page(500, _("Server error"),
                     _("Something went wrong on our side (request id %(id)s).",
                       id=g.get("request_id"))), 500


def _discard_session() -> None:
    """Drop the request's session and its connection: they may be dead (a restarted
    database), and the error page must not touch them again."""
    from maillon.db import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: the pool replaces it
        log.info("rollback after a database error failed", exc_info=True)
        db.registry.registry.clear()


def _page(status: int, title: str, message: str | None, back: str = "") -> str:
    from maillon.tenancy.rendering import render

    try:
        return render("error.html", status=status, title=title, message=message or "",
                      back=back)
    except Exception:  # an error page must never fail
        log.exception("error page failed")
        return f"<!doctype html><title>{status}</title><h1>{status}</h1>"
