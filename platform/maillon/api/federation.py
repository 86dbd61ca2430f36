"""The instance's federation policy (admins): read it, change it (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.federation import delivery, policy
from maillon.members.models import Member

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
