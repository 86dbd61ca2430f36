"""What other servers fetch: WebFinger, NodeInfo, actors and outboxes (JSON, CORS open)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, redirect, request
from werkzeug.exceptions import Gone, NotFound

from maillon.db import db
from maillon.errors import ServiceError
from maillon.federation import (  # noqa: F401  (handlers)
    actors,
    announcements,
    connections,
    discovery,
    inbox,
    urls,
)

bp = Blueprint("federation", __name__, template_folder="templates")


def _json(document: dict[str, Any], content_type: str, status: int = 200) -> Response:
    response = Response(
        json.dumps(document, ensure_ascii=False), status=status, content_type=content_type
    )
    # RFC 7033 §5: WebFinger must be readable from any origin; the rest is public anyway.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    return response


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, "application/json", status)


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(
        ["text/html", actors.ACTIVITY_JSON, "application/ld+json", "application/json"]
    )
    return best == "text/html"


@bp.get("/.well-known/webfinger")
def webfinger() -> Response:
    try:
        document = actors.webfinger(db.session, g.instance, request.args.get("resource"))
    except NotFound:
        return _error(404, "not_found", "No such resource here.")
    except Gone:
        return _error(410, "gone", "This account was deleted.")
    except ServiceError as exc:
        return _error(exc.status, exc.code, exc.message)
    return _json(document, actors.JRD_JSON)


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links() -> Response:
    return _json(actors.nodeinfo_links(g.instance), "application/json")


@bp.get("/nodeinfo/2.1")
def nodeinfo() -> Response:
    return _json(
        actors.nodeinfo(db.session, g.instance),
        f'application/json; profile="{actors.NODEINFO_SCHEMA}#"',
    )


@bp.get("/actor")
def instance_actor() -> Any:
    if _wants_html():
        return redirect(urls.origin(g.instance) + "/", 303)
    return _json(actors.instance_actor_document(db.session, g.instance), actors.ACTIVITY_JSON)


@bp.get("/actor/outbox")
def instance_outbox() -> Response:
    return _json(
        actors.empty_outbox(g.instance, urls.instance_actor(g.instance)), actors.ACTIVITY_JSON
    )


@bp.get("/ap/members/<int:member_id>")
def member_actor(member_id: int) -> Any:
    try:
        actors.check_fetcher(db.session, g.instance, request.headers.get("Signature", ""))
        document = actors.member_actor_document(db.session, g.instance, member_id)
    except NotFound:
        return _error(404, "not_found", "No such actor here.")
    except Gone:  # a deleted account, as Mastodon answers: their servers drop their copy
        return _json(actors.tombstone(g.instance, member_id), actors.ACTIVITY_JSON, 410)
    except ServiceError as exc:
        return _error(exc.status, exc.code, exc.message)
    if _wants_html():  # a person following a link lands on the profile page
        return redirect(document["url"], 303)
    return _json(document, actors.ACTIVITY_JSON)


@bp.get("/ap/members/<int:member_id>/outbox")
def member_outbox(member_id: int) -> Response:
    try:
        return _json(actors.member_outbox(db.session, g.instance, member_id), actors.ACTIVITY_JSON)
    except NotFound:
        return _error(404, "not_found", "No such actor here.")


def _signed_server() -> str:
    """The verified server behind a signed GET (``discovery.verified_server``)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    # The target as it was sent and signed: request.url gives the query decoded.
    query = request.query_string.decode("ascii", "replace")
    url = request.base_url + (f"?{query}" if query else "")
    return discovery.verified_server(db.session, g.instance, request.method, url, headers)


@bp.get("/ap/search")
def search() -> Response:
    """Members another server may find here (decision 59): signed requests only."""
    try:
        host = _signed_server()
        results = discovery.search_for_server(db.session, g.instance, host,
                                              request.args.get("q", ""))
    except ServiceError as exc:
        db.session.rollback()
        return _error(exc.status, exc.code, exc.message)
    return _json({"results": results}, "application/json")


@bp.get("/ap/reach")
def reach() -> Response:
    """How far our members are from one of ours, for a chain that continues here (decision
    61): signed requests of servers the policy allows only."""
    from maillon.introductions.reach import answer_reach

    try:
        _signed_server()
        answer = answer_reach(db.session, g.instance, request.args.get("to", ""),
                              request.args.getlist("from"),
                              request.args.get("max", 3, type=int) or 3,
                              request.args.get("purpose") or None)
    except NotFound:
        db.session.rollback()
        return _error(404, "not_found", "No such actor here.")
    except ServiceError as exc:
        db.session.rollback()
        return _error(exc.status, exc.code, exc.message)
    db.session.rollback()  # read only
    return _json(answer, "application/json")


#: What an inbox accepts (ActivityPub §7, and what Mastodon sends).
ACTIVITY_TYPES = ("application/activity+json", "application/ld+json", "application/json")


def _receive(member_id: int | None) -> Response:
    if (request.mimetype or "") not in ACTIVITY_TYPES:
        return _error(415, "unsupported_media_type", "Send application/activity+json.")
    if (request.content_length or 0) > inbox.MAX_BODY_BYTES:
        return _error(413, "too_large", "The activity is too large.")
    body = request.stream.read(inbox.MAX_BODY_BYTES + 1)
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        inbox.receive(
            db.session,
            g.instance,
            member_id=member_id,
            method=request.method,
            url=request.url,
            headers=headers,
            body=body,
        )
    except ServiceError as exc:
        db.session.rollback()
        return _error(exc.status, exc.code, exc.message)
    return Response(status=202)


@bp.post("/inbox")
def shared_inbox() -> Response:
    return _receive(None)


@bp.post("/ap/members/<int:member_id>/inbox")
def member_inbox(member_id: int) -> Response:
    return _receive(member_id)
