"""Registration and profiles: POST /members, GET and PATCH /me, GET /members/{id}."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from maillon.accounts.services import register_member
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.api.schemas import (
    Body,
    ContactsVisibleTo,
    Direct,
    Locale,
    OwnProfile,
    Profile,
    Purpose,
    Relaying,
)
from maillon.db import db
from maillon.members.models import Member
from maillon.members.services import access_member, profile_dict, update_profile


class RegisterIn(Body):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=120)


class RegistrationPending(BaseModel):
    """The answer when the address must be confirmed: the same for a new and a known one."""

    status: str = Field(description="unverified: follow the link sent by e-mail.")
    message: str


class ContactPolicyPatch(Body):
    direct: Direct = Field(None)
    introductions: bool = Field(None)
    purposes: list[Purpose] = Field(None)
    max_hops: int = Field(None, ge=1, le=6)


class VisibilityPatch(Body):
    in_directory: bool = Field(None)
    contacts_visible_to: ContactsVisibleTo = Field(None)


class ProfilePatch(Body):
    """Any subset of the editable fields; null is refused except for locale."""

    name: str = Field(None, min_length=1, max_length=120)
    headline: str = Field(None, max_length=200)
    company: str = Field(None, max_length=120, description="Stored as the organisation.")
    location: str = Field(None, max_length=120)
    skills: list[str] = Field(None, max_length=50)
    summary: str = Field(None, max_length=5000)
    offers: str = Field(None, max_length=2000)
    seeks: str = Field(None, max_length=2000)
    open_to_opportunities: bool = Field(None)
    contact_policy: ContactPolicyPatch = Field(
        None, description="Only the keys given change; the others keep their values.")
    relaying: Relaying = Field(None)
    visibility: VisibilityPatch = Field(
        None, description="Only the keys given change; the others keep their values.")
    locale: Locale | None = Field(None, description="null: the instance's default language.")


class MemberView(Profile):
    """Another member's profile, with what the network knows."""

    degree: int | None = Field(description="0 for oneself; 1, 2, 3 (null beyond or unknown) "
                               "once the network domain fills it.")
    endorsements: dict[str, int] = Field(description="{skill: count} (filled by the network "
                                         "domain; empty for now).")
    recommendations: list[dict[str, Any]] = Field(description="Approved recommendations (filled "
                                                  "by the network domain; empty for now).")


@operation("POST", "/members", summary="Join the community", auth=False, idempotent=True,
           tag="accounts", body=RegisterIn, description=(
               "Where the instance confirms addresses without revealing them, the answer is "
               "202 with the same body whether the address is new or already registered."),
           responses={201: ("The new member (active, or pending an admin's approval)",
                            OwnProfile),
                      202: ("Check your mailbox: the address must be confirmed",
                            RegistrationPending),
                      403: "registration_closed", 409: "email_taken (only where the policy "
                      "lets existence be known)", 422: "validation_failed, "
                      "email_domain_not_allowed"})
def register(body: RegisterIn) -> Reply:
    outcome = register_member(db.session, g.instance, email=body.email, password=body.password,
                              name=body.name)
    if outcome.status == "unverified" or outcome.member is None:
        return {"status": "unverified", "message": _(
            "If this address can join, a link to confirm it is on its way.")}, 202
    return profile_dict(outcome.member, outcome.member), 201


@operation("GET", "/me", summary="The caller's full profile", tag="profiles",
           responses={200: ("The profile, with private settings", OwnProfile)})
def get_me(member: Member) -> Reply:
    return profile_dict(member, member), 200


@operation("PATCH", "/me", summary="Change the caller's profile", tag="profiles",
           body=ProfilePatch, responses={200: ("The updated profile", OwnProfile),
                                          422: "validation_failed; nothing is changed"})
def update_me(member: Member, body: ProfilePatch) -> Reply:
    updated = update_profile(db.session, member, body.model_dump(exclude_unset=True))
    return profile_dict(updated, member), 200


@operation("GET", "/members/<int:member_id>", summary="A member's profile", tag="profiles",
           responses={200: ("The profile as the caller may see it", MemberView),
                      404: "not_found (also for another instance's id)"})
def get_member(member: Member, member_id: int) -> Reply:
    target = access_member(db.session, g.instance, member, member_id)
    data = profile_dict(target, member)
    # The network domain fills these; until then only the degree to oneself is known.
    data.update(degree=0 if target.id == member.id else None, endorsements={},
                recommendations=[])
    return data, 200
