"""Bearer-token authentication: a token works only on the instance that issued it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from flask_babel import gettext as _

from maillon.accounts.services import find_member_by_api_token, is_suspended_token
from maillon.db import db
from maillon.errorpages import json_error
from maillon.members.models import Member

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def authenticate_request() -> Member | None:
    """The active member behind the request's token on the current instance (g.instance)."""
    token = bearer_token()
    if token is None:
        return None
    member = find_member_by_api_token(db.session, g.instance, token)
    if member is not None:
        g.api_member = member
        g.api_token = token
    return member


def unauthorized() -> Any:
    """401 with a WWW-Authenticate challenge (RFC 6750); ``account_suspended`` for the token
    of a suspended member."""
    token = bearer_token()
    presented = token is not None
    if token is not None and is_suspended_token(db.session, g.instance, token):
        response = json_error(401, "account_suspended", _("This account is suspended."))
    else:
        response = json_error(401, "unauthorized", _("A valid API token is required.")
                              if not presented else _("This API token is not valid here."))
    challenge = 'Bearer realm="maillon"'
    if presented:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def api_auth(view: F) -> F:
    """Require a valid token; the view receives the caller as ``member=``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        member = authenticate_request()
        if member is None:
            return unauthorized()
        return view(*args, member=member, **kwargs)

    return cast(F, wrapper)
