"""Opportunities relayed by ambassadors: posting, suggestions, relays, answers, referrals
(docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from flask import g
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.opportunities import services
from maillon.opportunities.models import ANSWERS, KINDS, OPPORTUNITY, REFERRAL
from maillon.opportunities.serialisation import (
    opportunity_dict,
    relay_dict,
    request_dict,
    suggestion_dict,
    view_dict,
)
from maillon.opportunities.validation import (
    AnswerFields,
    OpportunityFields,
    ReferFields,
    ReferralFields,
    RelayFields,
)
from maillon.validation import Choice

TAG = "opportunities"


class Person(BaseModel):
    id: int
    name: str


class OrganisationRef(BaseModel):
    id: int
    name: str


class OpportunityOut(BaseModel):
    id: int
    kind: Annotated[str, Choice(KINDS)]
    title: str
    text: str
    location: str
    skills: list[str]
    closes_on: str | None
    status: Annotated[str, Choice(OPPORTUNITY.states)]
    poster: Person
    organisation: OrganisationRef | None
    created_at: str
    closed_at: str | None


class RelayOut(BaseModel):
    id: int
    opportunity_id: int
    note: str
    referral: bool
    created_at: str
    ambassador: Person | None = Field(None, description="For the contact: who relayed it.")
    answer: Annotated[str, Choice(ANSWERS)] | None = Field(
        None, description="For the contact: their answer (null: none yet).")
    member: Person | None = Field(None, description="For the ambassador: to whom.")


class AmbassadorCountOut(BaseModel):
    member: Person
    relays: int
    interested: int


class VouchOut(BaseModel):
    ambassador: Person
    note: str
    referral: bool


class InterestedOut(BaseModel):
    member: Person
    message: str
    vouches: list[VouchOut]


class StatsOut(BaseModel):
    reach: int = Field(description="Distinct contacts who received it.")
    relays: int
    interested: int
    not_now: int = Field(description="A count only: never who.")
    waiting: int
    ambassadors: list[AmbassadorCountOut] = Field(
        description="Those who relayed, alphabetically (no ranking).")
    interested_people: list[InterestedOut]


class ReferralRequestOut(BaseModel):
    id: int
    opportunity_id: int
    asker: Person
    ambassador: Person
    note: str
    status: Annotated[str, Choice(REFERRAL.states)]
    created_at: str


class OpportunityDetail(OpportunityOut):
    is_ambassador: bool
    received: list[RelayOut] = Field(description="Relays of it to the caller.")
    relayed: list[RelayOut] = Field(description="The caller's relays of it (ambassadors).")
    stats: StatsOut | None = Field(description="The poster and the organisation's admins.")
    can_ask_for_referral: list[Person] = Field(
        description="The caller's connections who relay it and whom they may ask.")
    referral_requests: list[ReferralRequestOut] = Field(description="The caller's.")
    referral_requests_to_me: list[ReferralRequestOut] = Field(
        description="Pending ones to the caller, an ambassador.")


class OpportunityList(BaseModel):
    total: int
    results: list[OpportunityOut]


class SuggestedMember(BaseModel):
    id: int
    name: str
    headline: str
    location: str


class SuggestionOut(BaseModel):
    member: SuggestedMember
    score: float


class SuggestionList(BaseModel):
    total: int
    results: list[SuggestionOut]


class OpportunityIn(OpportunityFields):
    pass


class RelayIn(RelayFields):
    pass


class AnswerIn(AnswerFields):
    pass


class ReferralIn(ReferralFields):
    pass


class ReferIn(ReferFields):
    pass


class ListArgs(BaseModel):
    scope: Annotated[str, Choice(services.SCOPES)] = "open"
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class SuggestionArgs(BaseModel):
    limit: int = Field(20, ge=1, le=50)


@operation("POST", "/opportunities", summary="Post an opportunity", tag=TAG,
           body=OpportunityIn, idempotent=True,
           description="Personally, or for an organisation the caller administers (its "
           f"members are told). At most {services.WEEKLY_LIMIT} in 7 days.",
           responses={201: ("The opportunity", OpportunityDetail),
                      403: "account_limited, not_organisation_admin",
                      404: "not_found (organisation)", 422: "validation_failed",
                      429: "opportunity_limit_reached"})
def post_opportunity(member: Member, body: OpportunityIn) -> Reply:
    row = services.post_opportunity(db.session, g.instance, member, body.model_dump())
    return view_dict(services.access_opportunity(db.session, g.instance, member, row.id)), 201


@operation("GET", "/opportunities", summary="Opportunities", tag=TAG,
           description="scope: open (every open one), posted (the caller's), received "
           "(relayed to the caller), relay (open ones the caller relays). Newest first.",
           responses={200: ("A page of opportunities", OpportunityList),
                      422: "validation_failed"})
def list_opportunities(member: Member) -> Reply:
    args = validate_query(ListArgs)
    total, rows = services.list_opportunities(db.session, g.instance, member, scope=args.scope,
                                              page=args.page, per_page=args.per_page)
    return {"total": total, "results": [opportunity_dict(r) for r in rows]}, 200


@operation("GET", "/opportunities/<int:opportunity_id>", summary="An opportunity", tag=TAG,
           description="Every member sees it; the poster and its organisation's admins also "
           "its reach and answers, per ambassador.",
           responses={200: ("The opportunity", OpportunityDetail), 404: "not_found"})
def get_opportunity(member: Member, opportunity_id: int) -> Reply:
    return view_dict(services.access_opportunity(db.session, g.instance, member,
                                                 opportunity_id)), 200


@operation("GET", "/opportunities/<int:opportunity_id>/suggestions",
           summary="The caller's contacts the opportunity fits", tag=TAG,
           description="Ambassadors only: their connections listed in the directory who have "
           "not received it, best first. Query: limit (1-50).",
           responses={200: ("Suggestions", SuggestionList), 403: "not_ambassador",
                      404: "not_found", 503: "search_unavailable"})
def suggestions(member: Member, opportunity_id: int) -> Reply:
    args = validate_query(SuggestionArgs)
    rows = services.suggest_contacts(db.session, g.instance, member, opportunity_id,
                                     args.limit)
    return {"total": len(rows), "results": [suggestion_dict(s) for s in rows]}, 200


@operation("POST", "/opportunities/<int:opportunity_id>/relays",
           summary="Relay an opportunity to a contact", tag=TAG, body=RelayIn, idempotent=True,
           description="Ambassadors only, to one of their connections; the contact is told. "
           "Relaying again to the same contact returns the first relay (200).",
           responses={201: ("The relay", RelayOut), 200: ("The same relay", RelayOut),
                      403: "not_ambassador, not_connected, account_limited",
                      404: "not_found", 409: "opportunity_closed",
                      422: "validation_failed, cannot_relay_to", 429: "relay_limit_reached"})
def relay(member: Member, opportunity_id: int, body: RelayIn) -> Reply:
    row, created = services.relay_opportunity(db.session, g.instance, member, opportunity_id,
                                              body.model_dump())
    return relay_dict(row, for_contact=False), 201 if created else 200


@operation("POST", "/relays/<int:relay_id>/answer", summary="Answer a relayed opportunity",
           tag=TAG, body=AnswerIn, idempotent=True,
           description="The contact only. Interested: the poster is told, with who relayed it "
           "and their notes; not now: counted, never named. Not now may become interested; "
           "interested stays.",
           responses={200: ("The relay", RelayOut), 404: "not_found",
                      409: "opportunity_closed, already_interested",
                      422: "validation_failed"})
def answer(member: Member, relay_id: int, body: AnswerIn) -> Reply:
    return relay_dict(services.answer_relay(db.session, g.instance, member, relay_id,
                                            body.model_dump()), for_contact=True), 200


@operation("POST", "/opportunities/<int:opportunity_id>/close",
           summary="Close an opportunity", tag=TAG,
           responses={200: ("The opportunity", OpportunityOut), 403: "forbidden",
                      404: "not_found"})
def close(member: Member, opportunity_id: int) -> Reply:
    return opportunity_dict(services.close_opportunity(db.session, g.instance, member,
                                                       opportunity_id)), 200


@operation("POST", "/opportunities/<int:opportunity_id>/referral-requests",
           summary="Ask a connection for a referral", tag=TAG, body=ReferralIn, idempotent=True,
           description="To a connection who relays the opportunity; they are told. Asking "
           f"again returns the request (200). At most {services.REFERRAL_REQUESTS} per "
           "opportunity.",
           responses={201: ("The request", ReferralRequestOut),
                      200: ("The same request", ReferralRequestOut),
                      403: "cannot_refer, account_limited", 404: "not_found",
                      409: "opportunity_closed, already_ambassador, already_received",
                      422: "validation_failed", 429: "referral_limit_reached"})
def ask_for_referral(member: Member, opportunity_id: int, body: ReferralIn) -> Reply:
    row, created = services.ask_for_referral(db.session, g.instance, member, opportunity_id,
                                             body.model_dump())
    return request_dict(row), 201 if created else 200


@operation("POST", "/referral-requests/<int:request_id>/refer", summary="Refer the asker",
           tag=TAG, body=ReferIn, idempotent=True,
           description="The ambassador asked, in one click: a relay to the asker, who is "
           "interested, so the poster is told with this vouch.",
           responses={200: ("The relay", RelayOut), 403: "not_ambassador", 404: "not_found",
                      409: "opportunity_closed, referral_decided", 422: "validation_failed"})
def refer(member: Member, request_id: int, body: ReferIn) -> Reply:
    return relay_dict(services.refer(db.session, g.instance, member, request_id,
                                     body.model_dump()), for_contact=False), 200


@operation("POST", "/referral-requests/<int:request_id>/decline",
           summary="Decline to refer", tag=TAG,
           responses={200: ("The request", ReferralRequestOut), 404: "not_found",
                      409: "referral_decided"})
def decline(member: Member, request_id: int) -> Reply:
    return request_dict(services.decline_referral(db.session, g.instance, member,
                                                  request_id)), 200
