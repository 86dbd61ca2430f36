"""API tokens: log in (POST /tokens, rate-limited like the login page) and log out."""

from __future__ import annotations

from flask import g, request
from pydantic import BaseModel, Field

from maillon.accounts.services import authenticate, issue_api_token, revoke_api_token
from maillon.api.errors import NotJson, load_json
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.api.schemas import Body, OwnProfile
from maillon.db import db
from maillon.extensions import limiter, login_limit
from maillon.members.models import Member
from maillon.members.services import profile_dict


class TokenIn(Body):
    # Any text: a malformed address is just another wrong login (401), not a 422 that tells.
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str = Field(description="Send it as Authorization: Bearer <token>, on this instance.")
    member: OwnProfile


def _login_email_key() -> str:
    """Rate-limit key per instance and e-mail address, whatever the client address."""
    try:
        data = load_json(request.get_data(cache=True))
    except NotJson:
        data = None
    email = data.get("email") if isinstance(data, dict) else None
    email = email.strip().lower() if isinstance(email, str) else ""
    return f"{g.instance.slug}:api-login:{email}"


@operation("POST", "/tokens", summary="Log in: get an API token", auth=False, tag="accounts",
           body=TokenIn, description=(
               "Rate-limited per client address and per e-mail address (429 rate_limited). "
               "Idempotency-Key is not honoured here: replaying would mean storing the token; "
               "a repeat simply issues another token."),
           responses={201: ("A new token and the member", TokenOut),
                      401: "invalid_credentials (also for an unknown address)",
                      403: "email_not_verified, approval_pending, suspended",
                      429: "rate_limited"},
           decorators=(limiter.limit(login_limit, methods=["POST"]),
                       limiter.limit(login_limit, methods=["POST"],
                                     key_func=_login_email_key)))
def create_token(body: TokenIn) -> Reply:
    member = authenticate(db.session, g.instance, body.email, body.password)
    token = issue_api_token(db.session, member)
    return {"token": token, "member": profile_dict(member, member)}, 201


@operation("DELETE", "/tokens/current", summary="Log out: revoke the token in use",
           tag="accounts", responses={204: "The token no longer works"})
def revoke_current_token(member: Member) -> Reply:
    revoke_api_token(db.session, g.instance, g.api_token)
    return None, 204
