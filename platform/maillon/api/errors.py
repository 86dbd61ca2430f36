"""JSON error bodies of the API, and turning bad input into them (400 and 422, never 500)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import Response, request
from flask_babel import gettext as _
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from maillon.errorpages import CODES
from maillon.errors import ServiceError
from maillon.validation import check

M = TypeVar("M", bound=BaseModel)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The one error shape of docs/api.md: ``{"error": {"code", "message", "fields"?}}``."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_reply(exc: Exception) -> tuple[dict[str, Any], int] | None:
    """The (body, status) a domain or HTTP error answers with; None for a server error."""
    if isinstance(exc, ServiceError):
        return error_body(exc.code, exc.message, exc.fields), exc.status
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return error_body(CODES.get(exc.code, "error"), exc.description or exc.name), exc.code
    return None


class NotJson(Exception):
    """The bytes are not JSON (including nesting too deep to decode)."""


def load_json(raw: bytes) -> Any:
    """Decode a request body; NotJson for anything that is not a JSON document."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise NotJson() from None


def read_json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 ``invalid_json``."""
    try:
        data = load_json(request.get_data(cache=True))
    except NotJson:
        data = None
    if isinstance(data, dict):
        return data
    raise ServiceError("invalid_json", _("The request body must be a JSON object."), status=400)


def validate_body(model: type[M], data: dict[str, Any]) -> M:
    """Validate a parsed body strictly (no "yes" for true, no 3 for "3"): 422 with fields."""
    return check(model, data, strict=True)


def validate_query(model: type[M]) -> M:
    """The query string validated by ``model`` (text coerced to numbers): 422 with fields."""
    return check(model, dict(request.args.items()))


def add_allow_header(response: Response) -> Response:
    """after_app_request: a 405 under /api/ keeps its Allow header in the JSON answer."""
    exc = request.routing_exception
    if (response.status_code == 405 and isinstance(exc, MethodNotAllowed)
            and request.path.startswith("/api/") and exc.valid_methods):
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response
