"""Registration and profiles: POST /members, GET and PATCH /me, GET /members/{id}."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from maillon.accounts.services import register_member
from maillon.accounts.validation import RegistrationFields
from maillon.api.feedback import RecommendationOut, profile_additions
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.api.schemas import OwnProfile, Profile
from maillon.db import db
from maillon.extensions import registration_address_limit
from maillon.members.models import Member
from maillon.members.profiles import update_profile
from maillon.members.serialisation import profile_dict
from maillon.members.services import access_member
from maillon.members.validation import ProfilePatch
from maillon.network.visibility import badges_for


class RegisterIn(RegistrationFields):
    pass


class RegistrationPending(BaseModel):
    """The answer when the address must be confirmed: the same for a new and a known one."""

    status: str = Field(description="unverified: follow the link sent by e-mail.")
    message: str


class MemberView(Profile):
    """Another member's profile, with what the network knows."""

    degree: int | None = Field(description="0 for oneself; 1, 2, 3 links from the caller "
                               "(null beyond or unknown).")
    shared_connections: int = Field(description="How many connections the caller shares "
                                    "with this member (0 for oneself).")
    endorsements: dict[str, int] = Field(description="{skill: count} for the listed skills "
                                         "that have endorsements.")
    recommendations: list[RecommendationOut] = Field(description="Approved recommendations.")


@operation("POST", "/members", summary="Join the community", auth=False, idempotent=True,
           tag="accounts", body=RegisterIn, description=(
               "Where the instance confirms addresses without revealing them, the answer is "
               "202 with the same body whether the address is new or already registered. "
               "Rate-limited per client address (429 rate_limited)."),
           decorators=(registration_address_limit,),
           responses={201: ("The new member (active, or pending an admin's approval)",
                            OwnProfile),
                      202: ("Check your mailbox: the address must be confirmed",
                            RegistrationPending),
                      403: "registration_closed", 409: "email_taken (only where the policy "
                      "lets existence be known)", 422: "validation_failed, "
                      "email_domain_not_allowed",
                      429: "rate_limited"})
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
    badge = badges_for(db.session, g.instance, member, [target.id]).get(target.id)
    data.update(degree=0 if target.id == member.id else (badge.degree if badge else None),
                shared_connections=badge.shared if badge else 0)
    data.update(profile_additions(member, target))
    return data, 200
