"""Declaring API operations once: route, auth, body model, idempotency and OpenAPI entry.

Every /api/v1 endpoint is declared with :func:`operation`; the OpenAPI document is built from
``OPERATIONS``, and a test checks that the URL map and the document list the same routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, g, jsonify
from pydantic import BaseModel
from werkzeug.exceptions import NotFound

from maillon.api import bp
from maillon.api.auth import authenticate_request, unauthorized
from maillon.api.errors import read_json_object, validate_body
from maillon.api.idempotency import REPLAY_HEADER, Reply
from maillon.api.idempotency import idempotent as idempotent_view

# A response: its description, optionally with the pydantic model of its JSON body.
ResponseDoc = str | tuple[str, type[BaseModel] | None]
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask rule, relative to /api/v1
    endpoint: str
    summary: str
    responses: Mapping[int, ResponseDoc]
    body: type[BaseModel] | None = None
    auth: bool = True
    idempotent: bool = False
    tag: str = ""
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)  # path parameter → converter

    @property
    def path(self) -> str:
        """The OpenAPI path: ``/api/v1/members/{member_id}``."""
        return bp.url_prefix + _PARAM.sub(r"{\2}", self.rule)  # type: ignore[operator]


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, *, summary: str, responses: Mapping[int, ResponseDoc],
              body: type[BaseModel] | None = None, auth: bool = True, idempotent: bool = False,
              tag: str = "", description: str = "",
              decorators: Iterable[Callable[..., Any]] = ()
              ) -> Callable[[Callable[..., Reply]], Callable[..., Response]]:
    """Register an API view returning ``(body, status)``.

    The view gets the path parameters, ``member=`` when ``auth`` and ``body=`` (the validated
    model) when a body model is given. ``decorators`` (rate limits) run before anything else.
    """

    def decorate(view: Callable[..., Reply]) -> Callable[..., Response]:
        op = Operation(method=method.upper(), rule=rule, endpoint=f"api.{view.__name__}",
                       summary=summary, responses=responses, body=body, auth=auth,
                       idempotent=idempotent, tag=tag, description=description,
                       params={m.group(2): m.group(1) or "string" for m in _PARAM.finditer(rule)})
        run = idempotent_view(view) if idempotent else view

        @wraps(view)
        def handler(**kwargs: Any) -> Response:
            if any(op.params[name] == "int" and kwargs[name] > MAX_ID for name in op.params):
                raise NotFound()  # no such row, and the database could not even hold the id
            if op.auth:
                member = authenticate_request()
                if member is None:
                    return unauthorized()  # type: ignore[no-any-return]
                kwargs["member"] = member
            if op.body is not None:
                kwargs["body"] = validate_body(op.body, read_json_object())
            payload, status = run(**kwargs)
            return _json_response(payload, status)

        for decorator in decorators:
            handler = decorator(handler)
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[op.method])
        OPERATIONS.append(op)
        return handler

    return decorate


def _json_response(payload: Any, status: int) -> Response:
    if isinstance(payload, Response):  # another format the operation chose (CSV)
        payload.status_code = status
        return payload
    response = Response(status=status) if payload is None else jsonify(payload)
    response.status_code = status
    if g.get("idempotent_replay"):
        response.headers[REPLAY_HEADER] = "true"
    return response
