"""Organisations: pages, affiliations, reach and who among the members can introduce them."""

from __future__ import annotations

from typing import Annotated, Any

from flask import g, url_for
from pydantic import BaseModel, Field, RootModel, model_validator

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import MAX_ID, operation
from maillon.api.schemas import Profile
from maillon.db import db
from maillon.members.models import Member
from maillon.members.serialisation import profile_dicts
from maillon.organisations import introducers, reach, services
from maillon.organisations.lifecycle import AFFILIATION_STATUSES, CONFIRMED
from maillon.organisations.models import CONFIRMED_BY, SECTORS, Affiliation, Organisation
from maillon.organisations.validation import (
    AffiliationClaim,
    OrganisationChange,
    OrganisationFields,
)
from maillon.validation import Choice

Sector = Annotated[str, Choice(SECTORS)]
AffiliationStatus = Annotated[str, Choice(AFFILIATION_STATUSES)]


class OrganisationOut(BaseModel):
    id: int
    name: str
    description: str
    sector: Sector
    website: str
    locations: list[str]
    email_domains: list[str]
    members: int = Field(description="Current members whose affiliation is confirmed.")
    is_admin: bool = Field(description="Whether the caller manages it.")
    logo_url: str | None = Field(description="Its logo (members of the instance), or null.")


class OrganisationList(BaseModel):
    total: int
    results: list[OrganisationOut]


class AffiliationOut(BaseModel):
    id: int
    organisation_id: int
    member_id: int
    role: str
    current: bool
    status: AffiliationStatus
    confirmed_by: Annotated[str, Choice(CONFIRMED_BY)] | None = Field(
        description="domain: by the member's verified address; admin: by an organisation "
        "admin; null until confirmed."
    )


class AffiliationList(BaseModel):
    total: int
    results: list[AffiliationOut]


class GroupOut(BaseModel):
    key: str = Field(
        description="Organisation id, sector code or folded place; empty for "
        'the "other or not stated" row.'
    )
    label: str
    count: int


class SnapshotOut(BaseModel):
    day: str
    members: int
    second_degree: int
    third_degree: int


class ReachOut(BaseModel):
    members: int = Field(description="Confirmed affiliations, current and past.")
    first_degree: int = Field(description="Current members counted (level 1).")
    second_degree: int = Field(
        description="Distinct people outside the organisation its members are connected to."
    )
    third_degree: int = Field(
        description="Distinct people connected to the second degree, in neither level before."
    )
    min_group_size: int
    by_organisation: list[GroupOut]
    by_sector: list[GroupOut]
    by_location: list[GroupOut]
    history: list[SnapshotOut] = Field(description="Daily counts, oldest first.")


class IntroducerOut(BaseModel):
    member: Profile
    hops: int = Field(
        description="Links from this member to the target (0: one of the target organisation)."
    )
    chance: float = Field(
        description="The chain's expected success as the caller may see it, in (0, 1]."
    )


class IntroducerList(RootModel[list[IntroducerOut]]):
    """A bare list, as the API contract (docs/api.md) shows it."""


class AdminsOut(BaseModel):
    admins: list[Profile]


class ListArgs(BaseModel):
    q: str = Field("", max_length=120)
    sector: Sector | None = None
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class AffiliationArgs(BaseModel):
    status: AffiliationStatus = CONFIRMED
    current: bool | None = None
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class IntroducerArgs(BaseModel):
    target_id: int | None = Field(None, ge=1, le=MAX_ID)
    target_organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(10, ge=1, le=introducers.MAX_INTRODUCERS)

    @model_validator(mode="after")
    def _one_target(self) -> IntroducerArgs:
        if (self.target_id is None) == (self.target_organisation_id is None):
            raise ValueError("give either target_id or target_organisation_id")
        return self


class AdminIn(BaseModel):
    member_id: int = Field(ge=1, le=MAX_ID)


def organisation_dict(org: Organisation, members: int, is_admin: bool) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "sector": org.sector,
        "website": org.website,
        "locations": list(org.locations),
        "email_domains": list(org.email_domains),
        "members": members,
        "is_admin": is_admin,
        "logo_url": url_for("organisations.logo", org_id=org.id, name=org.logo, _external=True)
        if org.logo else None,
    }


def affiliation_dict(row: Affiliation) -> dict[str, Any]:
    return {
        "id": row.id,
        "organisation_id": row.organisation_id,
        "member_id": row.member_id,
        "role": row.role,
        "current": row.current,
        "status": row.status,
        "confirmed_by": row.confirmed_by,
    }


def _org_reply(org: Organisation, member: Member) -> dict[str, Any]:
    return organisation_dict(
        org,
        services.count_members(db.session, g.instance, org),
        services.is_admin_of(db.session, g.instance, member, org.id),
    )


@operation(
    "POST",
    "/organisations",
    summary="Create an organisation",
    tag="organisations",
    body=OrganisationFields,
    idempotent=True,
    description=(
        "Any member with a verified address; the creator becomes its admin. Asking "
        "again for a name one created replays it (200)."
    ),
    responses={
        201: ("The organisation", OrganisationOut),
        200: ("The caller's organisation of that name", OrganisationOut),
        403: "email_not_verified, quota_exceeded (5 a day)",
        409: "organisation_exists (another member's, same name)",
    },
)
def create_organisation(member: Member, body: OrganisationFields) -> Reply:
    org, created = services.create_organisation(db.session, g.instance, member, body)
    return _org_reply(org, member), 201 if created else 200


@operation(
    "GET",
    "/organisations",
    summary="Organisations of the instance",
    tag="organisations",
    description="Query: q (words of the name), sector, page, per_page (max 100). By name.",
    responses={200: ("By name", OrganisationList)},
)
def list_organisations(member: Member) -> Reply:
    args = validate_query(ListArgs)
    total, rows = services.list_organisations(
        db.session,
        g.instance,
        member,
        q=args.q,
        sector=args.sector,
        page=args.page,
        per_page=args.per_page,
    )
    managed = {o.id for o in services.managed_organisations(db.session, g.instance, member)}
    return {
        "total": total,
        "results": [
            organisation_dict(r.organisation, r.members, r.organisation.id in managed) for r in rows
        ],
    }, 200


@operation(
    "GET",
    "/organisations/<int:org_id>",
    summary="An organisation",
    tag="organisations",
    responses={200: ("The organisation", OrganisationOut)},
)
def get_organisation(member: Member, org_id: int) -> Reply:
    org = services.access_organisation(db.session, g.instance, member, org_id)
    return _org_reply(org, member), 200


@operation(
    "PATCH",
    "/organisations/<int:org_id>",
    summary="Change an organisation's page",
    tag="organisations",
    body=OrganisationChange,
    description=(
        "Its admins, or an instance admin (audited). An e-mail domain is added only by "
        "someone with a verified address at it (or an instance admin); pending claims "
        "from that domain are confirmed with it."
    ),
    responses={
        200: ("The organisation", OrganisationOut),
        403: "not_organisation_admin",
        409: "organisation_exists",
    },
)
def update_organisation(member: Member, org_id: int, body: OrganisationChange) -> Reply:
    org = services.update_organisation(db.session, g.instance, member, org_id, body)
    return _org_reply(org, member), 200


@operation(
    "POST",
    "/organisations/<int:org_id>/admins",
    summary="Name an organisation admin",
    tag="organisations",
    body=AdminIn,
    idempotent=True,
    responses={
        200: ("The organisation's admins", AdminsOut),
        403: "not_organisation_admin, too_many_admins",
    },
)
def add_admin(member: Member, org_id: int, body: AdminIn) -> Reply:
    services.add_admin(db.session, g.instance, member, org_id, body.member_id)
    org = services.get_organisation(db.session, g.instance, org_id)
    admins = services.list_admins(db.session, g.instance, org)
    return {"admins": profile_dicts(db.session, admins, member)}, 200


@operation(
    "DELETE",
    "/organisations/<int:org_id>/admins/<int:member_id>",
    summary="Remove an organisation admin (oneself included)",
    tag="organisations",
    responses={204: "Removed", 403: "not_organisation_admin", 409: "last_organisation_admin"},
)
def remove_admin(member: Member, org_id: int, member_id: int) -> Reply:
    services.remove_admin(db.session, g.instance, member, org_id, member_id)
    return None, 204


@operation(
    "POST",
    "/organisations/<int:org_id>/affiliations",
    summary="Claim an affiliation to an organisation",
    tag="organisations",
    body=AffiliationClaim,
    idempotent=True,
    description=(
        "Confirmed at once when the caller's verified address is at one of the "
        "organisation's domains, pending for its admins otherwise. A claim in force is "
        "updated (role, current) and answered 200."
    ),
    responses={201: ("The claim", AffiliationOut), 200: ("The claim in force", AffiliationOut)},
)
def claim_affiliation(member: Member, org_id: int, body: AffiliationClaim) -> Reply:
    row, created = services.claim_affiliation(db.session, g.instance, member, org_id, body)
    return affiliation_dict(row), 201 if created else 200


@operation(
    "GET",
    "/organisations/<int:org_id>/affiliations",
    summary="An organisation's affiliations",
    tag="organisations",
    description=(
        "Query: status (default confirmed; others for its admins only), current, page, "
        "per_page. Confirmed ones of members the directory lists."
    ),
    responses={200: ("Current first, by name", AffiliationList), 403: "not_organisation_admin"},
)
def list_affiliations(member: Member, org_id: int) -> Reply:
    args = validate_query(AffiliationArgs)
    total, rows = services.list_affiliations(
        db.session,
        g.instance,
        member,
        org_id,
        status=args.status,
        current=args.current,
        page=args.page,
        per_page=args.per_page,
    )
    return {"total": total, "results": [affiliation_dict(r) for r in rows]}, 200


def _decision(action: str) -> Any:
    return {
        200: ("The affiliation", AffiliationOut),
        403: "not_organisation_admin",
        409: "affiliation_not_pending" if action != "end" else "affiliation_not_live",
    }


@operation(
    "POST",
    "/affiliations/<int:affiliation_id>/confirm",
    summary="Confirm a claim",
    tag="organisations",
    idempotent=True,
    responses=_decision("confirm"),
    description="The organisation's admins (or an instance admin, audited).",
)
def confirm_affiliation(member: Member, affiliation_id: int) -> Reply:
    row = services.confirm_affiliation(db.session, g.instance, member, affiliation_id)
    return affiliation_dict(row), 200


@operation(
    "POST",
    "/affiliations/<int:affiliation_id>/decline",
    summary="Decline a claim",
    tag="organisations",
    idempotent=True,
    responses=_decision("decline"),
    description="The organisation's admins; the member may claim again.",
)
def decline_affiliation(member: Member, affiliation_id: int) -> Reply:
    row = services.decline_affiliation(db.session, g.instance, member, affiliation_id)
    return affiliation_dict(row), 200


@operation(
    "POST",
    "/affiliations/<int:affiliation_id>/end",
    summary="End an affiliation",
    tag="organisations",
    idempotent=True,
    responses=_decision("end"),
    description="The member takes back their claim, or an organisation admin removes it.",
)
def end_affiliation(member: Member, affiliation_id: int) -> Reply:
    row = services.end_affiliation(db.session, g.instance, member, affiliation_id)
    return affiliation_dict(row), 200


@operation(
    "GET",
    "/organisations/<int:org_id>/reach",
    summary="An organisation's reach",
    tag="organisations",
    description=(
        "Its current members, its admins and instance admins. Counts only; a breakdown "
        "row counts at least min_group_size people."
    ),
    responses={
        200: ("Counts now, breakdowns of the second degree, daily history", ReachOut),
        403: "not_organisation_member",
    },
)
def get_reach(member: Member, org_id: int) -> Reply:
    found = reach.organisation_reach(db.session, g.instance, member, org_id)

    def groups(rows: list[reach.Group]) -> list[dict[str, Any]]:
        return [{"key": r.key, "label": r.label, "count": r.count} for r in rows]

    return {
        "members": found.members,
        "first_degree": found.first_degree,
        "second_degree": found.second_degree,
        "third_degree": found.third_degree,
        "min_group_size": found.min_group_size,
        "by_organisation": groups(found.by_organisation),
        "by_sector": groups(found.by_sector),
        "by_location": groups(found.by_location),
        "history": [s.as_dict() for s in found.history],
    }, 200


@operation(
    "GET",
    "/organisations/<int:org_id>/introducers",
    summary="Who among the organisation's members can introduce it to someone",
    tag="organisations",
    description=(
        "Query: target_id (a member) or target_organisation_id, limit (≤ 20). The best "
        "starting points among its current members, best first, scored as the caller "
        "may see chains (their own ratings, every other link at its level)."
    ),
    responses={200: ("Best first", IntroducerList), 403: "not_organisation_member"},
)
def get_introducers(member: Member, org_id: int) -> Reply:
    args = validate_query(IntroducerArgs)
    found = introducers.find_introducers(
        db.session,
        g.instance,
        member,
        org_id,
        target_id=args.target_id,
        target_organisation_id=args.target_organisation_id,
        limit=args.limit,
    )
    profiles = profile_dicts(db.session, [f.member for f in found], member)
    return [
        {"member": profile, "hops": f.hops, "chance": f.chance}
        for f, profile in zip(found, profiles, strict=True)
    ], 200
