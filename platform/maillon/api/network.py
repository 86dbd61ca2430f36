"""Connections: request, accept, decline, remove, the caller's private trust, and the list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.errors import read_json_object, validate_body, validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import MAX_ID, operation
from maillon.api.schemas import Profile
from maillon.db import db
from maillon.members.models import Member
from maillon.members.serialisation import load_profiles, profile_dict
from maillon.network import services
from maillon.network.lifecycle import CONNECTED, CONNECTION_STATUSES, PENDING
from maillon.network.models import Connection
from maillon.network.validation import ConnectionRequest
from maillon.validation import Body, Choice

# A connection's status, documented as an enum from its lifecycle's states.
Status = Annotated[str, Choice(CONNECTION_STATUSES)]


class ConnectIn(ConnectionRequest):
    member_id: int = Field(ge=1, le=MAX_ID)


class AcceptIn(Body):
    trust: int | None = Field(None, ge=1, le=5, description=(
        "Optional private rating of the new connection: 1 = met once … 5 = worked closely "
        "for years."))


class TrustIn(Body):
    trust: int = Field(ge=1, le=5, description="1 = met once … 5 = worked closely for years.")


class ConnectionOut(BaseModel):
    id: int
    status: Status
    direction: Literal["in", "out"] = Field(description="out: the caller asked; in: invited.")
    message: str
    member: Profile = Field(description="The other member.")
    trust: int | None = Field(description="The caller's own private rating (connected only); "
                              "the other side's rating is never shown.")


class ConnectionList(BaseModel):
    total: int
    results: list[ConnectionOut]


class ConnectionsArgs(BaseModel):
    status: Annotated[str | None, Choice(CONNECTION_STATUSES)] = None
    direction: Literal["in", "out"] | None = None
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


def connection_dict(row: Connection, caller: Member) -> dict[str, Any]:
    """A connection as one side sees it: never the other side's rating."""
    return {"id": row.id, "status": row.status,
            "direction": "out" if row.requester_id == caller.id else "in",
            "message": row.message, "member": profile_dict(row.other(caller.id), caller),
            "trust": row.trust_of(caller.id) if row.status == CONNECTED else None}


@operation("POST", "/connections", summary="Ask a member to connect", tag="network",
           body=ConnectIn, idempotent=True, description=(
               "Repeating the request returns the same pending request (201). If the member "
               "had already invited the caller, this accepts their invitation: 200 with status "
               "connected."),
           responses={201: ("The pending request", ConnectionOut),
                      200: ("Already connected (or this accepted their invitation)",
                            ConnectionOut),
                      403: "quota_exceeded", 404: "not_found (also another instance's member)",
                      422: "validation_failed, cannot_connect_self"})
def request_connection(member: Member, body: ConnectIn) -> Reply:
    row = services.request_connection(db.session, g.instance, member, body.member_id,
                                      body.message)
    return connection_dict(row, member), 201 if row.status == PENDING else 200


@operation("POST", "/connections/<int:connection_id>/accept", summary="Accept an invitation",
           tag="network", idempotent=True, description=(
               "Only the invited member. Optional JSON body {\"trust\": 1..5}: the caller's "
               "private rating. Repeating replays the acceptance."),
           responses={200: ("Connected", ConnectionOut), 403: "not_allowed",
                      404: "not_found", 422: "validation_failed"})
def accept_connection(member: Member, connection_id: int) -> Reply:
    trust = None
    if request.get_data(cache=True).strip():
        trust = validate_body(AcceptIn, read_json_object()).trust
    row = services.accept_connection(db.session, g.instance, member, connection_id, trust=trust)
    return connection_dict(row, member), 200


@operation("POST", "/connections/<int:connection_id>/decline", summary="Decline an invitation",
           tag="network", idempotent=True,
           responses={200: ("Declined", ConnectionOut), 403: "not_allowed",
                      404: "not_found"})
def decline_connection(member: Member, connection_id: int) -> Reply:
    row = services.decline_connection(db.session, g.instance, member, connection_id)
    return connection_dict(row, member), 200


@operation("DELETE", "/connections/<int:connection_id>", tag="network",
           summary="Remove a connection, or withdraw one's invitation (either side)",
           responses={204: "Removed", 404: "not_found"})
def delete_connection(member: Member, connection_id: int) -> Reply:
    services.remove_connection(db.session, g.instance, member, connection_id)
    return None, 204


@operation("PUT", "/connections/<int:connection_id>/trust", tag="network", body=TrustIn,
           summary="Rate a connection privately (1 = met once … 5 = worked closely for years)",
           responses={200: ("The connection with the caller's rating", ConnectionOut),
                      403: "not_connected", 404: "not_found", 422: "validation_failed"})
def set_trust(member: Member, connection_id: int, body: TrustIn) -> Reply:
    row = services.set_trust(db.session, g.instance, member, connection_id, body.trust)
    return connection_dict(row, member), 200


@operation("GET", "/connections", summary="The caller's connections and invitations",
           tag="network", description=(
               "Query: status (pending, connected, …; default: pending and connected), "
               "direction (in: invitations received, out: sent), page, per_page (max 100)."),
           responses={200: ("Newest first", ConnectionList), 422: "validation_failed"})
def list_connections(member: Member) -> Reply:
    args = validate_query(ConnectionsArgs)
    total, rows = services.list_connections(db.session, g.instance, member, status=args.status,
                                            direction=args.direction, page=args.page,
                                            per_page=args.per_page)
    load_profiles(db.session, [r.other(member.id) for r in rows])
    return {"total": total, "results": [connection_dict(r, member) for r in rows]}, 200
