"""The instance's federation policy (admins): read it, change it; members' connections with
people on other servers (docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.extensions import remote_lookup_limit
from maillon.federation import connections, delivery, local, outgoing, policy
from maillon.federation.lifecycle import CONNECTED, PENDING, REQUESTED
from maillon.federation.models import RemoteActor, RemoteConnection
from maillon.members.models import Member
from maillon.validation import Body

TAG = "moderation"


class ServerOut(BaseModel):
    domain: str
    severity: Literal["none", "limit", "suspend"]
    reject_media: bool
    reject_reports: bool
    public_comment: str
    private_comment: str


class FederationOut(BaseModel):
    mode: Literal["nobody", "allowlist", "blocklist"]
    discoverable: bool = Field(
        description=("Whether other servers may list and search the members who opted in.")
    )
    servers: list[ServerOut] = Field(description="Every server rule, by domain.")


@operation(
    "GET",
    "/admin/federation",
    summary="The federation policy (admins)",
    tag=TAG,
    responses={
        200: ("The mode, the discovery opt-in and every server rule", FederationOut),
        403: "forbidden (not an admin of this instance)",
    },
)
def get_federation(member: Member) -> Reply:
    return policy.get_policy(db.session, g.instance, member).as_dict(), 200


@operation(
    "PATCH",
    "/admin/federation",
    summary="Change the federation policy (admins)",
    tag=TAG,
    body=policy.PolicyChange,
    description=(
        "All or nothing. `servers` adds or replaces rules by domain (a rule covers the "
        "domain's subdomains), `remove` deletes rules; other rules stay. Audited "
        "(federation_changed) when something changed."
    ),
    responses={
        200: ("The policy after the change", FederationOut),
        403: "forbidden (not an admin of this instance)",
        422: "validation_failed (fields: the bad values)",
    },
)
def change_federation(member: Member, body: policy.PolicyChange) -> Reply:
    policy.change_policy(db.session, g.instance, member, body, ip=request.remote_addr or "")
    return policy.get_policy(db.session, g.instance, member).as_dict(), 200


class DeliveryServerOut(BaseModel):
    host: str
    queued: int
    failed: int = Field(description="Refused by the server or given up.")
    last_error: str = Field(description="Of the server's latest delivery (empty if it went).")
    failure_days: int = Field(description="Days on which deliveries to it expired.")
    unavailable_since: str | None = Field(
        description=("When it became unavailable (nothing more is queued for it), or null.")
    )


class DeliveriesOut(BaseModel):
    queued: int
    delivered: int = Field(description="The last 7 days, as the three counts below.")
    rejected: int
    expired: int
    servers: list[DeliveryServerOut] = Field(
        description=("Up to 100 servers, those with the most deliveries waiting first.")
    )


@operation(
    "GET",
    "/admin/federation/deliveries",
    summary="What the instance delivers to other servers (admins)",
    tag=TAG,
    responses={
        200: ("The queue and the failures per server", DeliveriesOut),
        403: "forbidden (not an admin of this instance)",
    },
)
def get_deliveries(member: Member) -> Reply:
    return delivery.delivery_overview(db.session, g.instance, member), 200


# ---------------------------------------------------------------- people on other servers


class RemotePersonOut(BaseModel):
    id: str = Field(description="Their actor URL (their id on their server).")
    handle: str = Field(description="user@server.")
    name: str
    summary: str = Field(description="Plain text, as their server describes them.")
    server: str = Field(description="The server they are on: shown as \"from <server>\".")
    url: str = Field(description="Their profile page on their server (may be empty).")
    community: str | None = Field(
        description="The name of their community when it is another instance of this "
        "deployment (shown as \"from <community>\" instead of the server); null otherwise."
    )


class LookupOut(RemotePersonOut):
    connection: Literal["requested", "pending", "connected"] | None = Field(
        description=(
            "requested: they asked the caller; pending: the caller asked them; connected; "
            "null: nothing (or ended)."
        )
    )


class RemoteConnectionOut(BaseModel):
    id: int
    status: Literal["requested", "pending", "connected", "declined", "withdrawn", "removed"]
    person: RemotePersonOut


class RemoteConnectionList(BaseModel):
    total: int
    results: list[RemoteConnectionOut]


class AddressArgs(BaseModel):
    address: str = Field(
        min_length=1, max_length=outgoing.MAX_ADDRESS, description="@user@server or actor URL"
    )


class AddressIn(Body):
    address: str = Field(
        min_length=1,
        max_length=outgoing.MAX_ADDRESS,
        description="@user@server (or user@server), or their actor URL.",
    )


def _person(actor: RemoteActor) -> dict[str, Any]:
    return {
        "id": actor.uri,
        "handle": actor.handle,
        "name": actor.name,
        "summary": actor.summary,
        "server": actor.server,
        "url": actor.url,
        "community": local.community_name(actor.uri),
    }


def _remote_connection(connection: RemoteConnection, actor: RemoteActor) -> dict[str, Any]:
    return {"id": connection.id, "status": connection.status, "person": _person(actor)}


REMOTE_ERRORS = {
    403: "federation_off, not_federated (the caller is not reachable from other servers), "
    "server_refused",
    404: "remote_not_found",
    422: "validation_failed (address), local_member",
    502: "remote_unreachable",
}


@operation(
    "GET",
    "/remote-people",
    summary="Look someone up on another server",
    tag="network",
    description=(
        "WebFinger, then their actor document, fetched by the server (bounded: a few seconds, "
        "256 KiB). Nothing is stored."
    ),
    responses={200: ("Who they are, and the caller's connection with them", LookupOut),
               **REMOTE_ERRORS, 429: "rate_limited"},
    decorators=(remote_lookup_limit,),
)
def look_up_remote_person(member: Member) -> Reply:
    args = validate_query(AddressArgs)
    profile = outgoing.look_up_remote_person(db.session, g.instance, member, args.address)
    state = outgoing.connection_state(db.session, g.instance, member, profile.uri)
    return {
        "id": profile.uri,
        "handle": profile.handle,
        "name": profile.name,
        "summary": profile.summary,
        "server": profile.server,
        "url": profile.url,
        "community": local.community_name(profile.uri),
        "connection": state if state in (REQUESTED, PENDING, CONNECTED) else None,
    }, 200


@operation(
    "POST",
    "/remote-connections",
    summary="Ask someone on another server to connect",
    tag="network",
    body=AddressIn,
    idempotent=True,
    description=(
        "Sends a Follow signed by the caller; their Accept makes the connection. Repeating "
        "returns the same connection (200). If they had asked the caller, this accepts "
        "(200, connected)."
    ),
    responses={
        201: ("The request, sent", RemoteConnectionOut),
        200: ("Already asked or connected (or this accepted their request)", RemoteConnectionOut),
        **REMOTE_ERRORS,
        403: REMOTE_ERRORS[403] + ", quota_exceeded (200 requests waiting)",
        429: "rate_limited",
    },
    decorators=(remote_lookup_limit,),
)
def connect_remote_person(member: Member, body: AddressIn) -> Reply:
    connection, actor, sent = outgoing.connect_remote_person(
        db.session, g.instance, member, body.address
    )
    status = 201 if sent and connection.status == PENDING else 200
    return _remote_connection(connection, actor), status


@operation(
    "GET",
    "/remote-connections",
    summary="The caller's connections and requests with people on other servers",
    tag="network",
    responses={200: ("Newest first", RemoteConnectionList)},
)
def list_remote_connections(member: Member) -> Reply:
    rows = connections.list_remote_connections(db.session, g.instance, member)
    return {"total": len(rows), "results": [_remote_connection(c, a) for c, a in rows]}, 200


class RemoteContactList(BaseModel):
    results: list[RemotePersonOut]


@operation(
    "GET",
    "/members/<int:member_id>/remote-contacts",
    summary="A member's connections on other servers",
    tag="network",
    description="Shown exactly to whom the member shows their contacts (decision 54), by "
    "name, at most 200; a person's id is what POST /introductions takes as remote_target.",
    responses={200: ("By name", RemoteContactList), 403: "contacts_not_visible",
               404: "not_found"},
)
def list_remote_contacts(member: Member, member_id: int) -> Reply:
    people = outgoing.list_remote_contacts(db.session, g.instance, member, member_id)
    return {"results": [_person(a) for a in people]}, 200


@operation(
    "DELETE",
    "/remote-connections/<int:connection_id>",
    summary="Withdraw a request, end a connection or decline their request (other servers)",
    tag="network",
    responses={204: "Done; their server is told", 404: "not_found"},
)
def delete_remote_connection(member: Member, connection_id: int) -> Reply:
    outgoing.remove_remote_connection(db.session, g.instance, member, connection_id)
    return None, 204
