"""API tokens: log in (POST /tokens, throttled together with the login page) and log out."""

from __future__ import annotations

from flask import g
from pydantic import BaseModel, Field

from maillon.accounts import throttle
from maillon.accounts.services import authenticate, issue_api_token, revoke_api_token
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.api.schemas import OwnProfile
from maillon.db import db
from maillon.errors import ServiceError
from maillon.extensions import login_address_limit
from maillon.members.models import Member
from maillon.members.serialisation import profile_dict
from maillon.validation import Body


class TokenIn(Body):
    # Any text: a malformed address is just another wrong login (401), not a 422 that tells.
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str = Field(description="Send it as Authorization: Bearer <token>, on this instance.")
    member: OwnProfile


@operation("POST", "/tokens", summary="Log in: get an API token", auth=False, tag="accounts",
           body=TokenIn, description=(
               "Throttled together with the login page (429 rate_limited, Retry-After): "
               "attempts per client address, failures per account (a browser where the "
               "account logged in before counts apart). "
               "Idempotency-Key is not honoured here: replaying would mean storing the token; "
               "a repeat simply issues another token."),
           responses={201: ("A new token and the member", TokenOut),
                      401: "invalid_credentials (also for an unknown address)",
                      403: "email_not_verified, approval_pending, suspended",
                      429: "rate_limited"},
           decorators=(login_address_limit,))
def create_token(body: TokenIn) -> Reply:
    attempt = throttle.check_login(g.instance, body.email)
    try:
        member = authenticate(db.session, g.instance, body.email, body.password)
    except ServiceError as exc:
        if exc.code == "invalid_credentials":
            throttle.record_failure(attempt)
        raise
    throttle.remember_device(attempt)
    token = issue_api_token(db.session, member)
    return {"token": token, "member": profile_dict(member, member)}, 201


@operation("DELETE", "/tokens/current", summary="Log out: revoke the token in use",
           tag="accounts", responses={204: "The token no longer works"})
def revoke_current_token(member: Member) -> Reply:
    revoke_api_token(db.session, g.instance, g.api_token)
    return None, 204
