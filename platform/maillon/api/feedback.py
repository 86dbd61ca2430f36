"""Endorsements and recommendations: endorse a connection's skill, write, approve, hide."""

from __future__ import annotations

from typing import Annotated, Any

from flask import g
from pydantic import BaseModel, Field

from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.members.services import access_member
from maillon.network.endorsement_models import skill_key
from maillon.network.endorsements import (
    endorse_skill,
    endorsement_counts,
    endorsement_summary,
    revoke_endorsement,
)
from maillon.network.recommendation_models import (
    RECOMMENDATION_STATUSES,
    RELATIONSHIPS,
    REQUEST_STATUSES,
)
from maillon.network.recommendations import (
    approve_recommendation,
    approved_recommendation_dicts,
    delete_recommendation,
    hide_recommendation,
    list_recommendations,
    recommendation_dict,
    request_recommendation,
    write_recommendation,
)
from maillon.network.validation import EndorsedSkill, RecommendationAsk, RecommendationFields
from maillon.validation import Choice

# The recommendation relationships, documented as an enum from the list the service checks.
Relationship = Annotated[str, Choice(RELATIONSHIPS)]


class EndorseIn(EndorsedSkill):
    pass


class EndorsementOut(BaseModel):
    member_id: int
    skill: str = Field(description="The skill as the member spells it.")
    count: int = Field(description="Endorsements of this skill the caller may see.")
    endorsed: bool


class Endorser(BaseModel):
    id: int
    name: str


class SkillEndorsements(BaseModel):
    skill: str
    count: int
    endorsers: list[Endorser] = Field(description="The caller first, then their connections.")


class SkillEndorsementList(BaseModel):
    total: int
    results: list[SkillEndorsements]


class RecommendIn(RecommendationFields):
    pass


class ShortMember(BaseModel):
    id: int
    name: str
    headline: str


class RecommendationOut(BaseModel):
    id: int
    status: Annotated[str, Choice(RECOMMENDATION_STATUSES)]
    relationship: Relationship
    relationship_detail: str
    text: str
    author: ShortMember
    recipient_id: int
    created_at: str
    updated_at: str
    approved_at: str | None


class RecommendationList(BaseModel):
    total: int
    results: list[RecommendationOut]


class AskIn(RecommendationAsk):
    pass


class RecommendationRequestOut(BaseModel):
    id: int
    status: Annotated[str, Choice(REQUEST_STATUSES)]
    asked_id: int


@operation("POST", "/members/<int:member_id>/endorsements", summary="Endorse a skill",
           tag="network", body=EndorseIn, idempotent=True,
           description="Only first-degree connections endorse; repeating changes nothing.",
           responses={201: ("Endorsed", EndorsementOut), 200: ("Already endorsed",
                                                               EndorsementOut),
                      403: "not_connected", 404: "not_found (also another instance's id)",
                      422: "validation_failed (a skill the member does not list), "
                      "cannot_endorse_self"})
def endorse(member: Member, member_id: int, body: EndorseIn) -> Reply:
    _row, created = endorse_skill(db.session, g.instance, member, member_id, body.skill)
    target = access_member(db.session, g.instance, member, member_id)
    summary = next(s for s in endorsement_summary(db.session, g.instance, member, target)
                   if skill_key(s.skill) == skill_key(body.skill))
    return {"member_id": target.id, "skill": summary.skill, "count": summary.count,
            "endorsed": True}, 201 if created else 200


@operation("DELETE", "/members/<int:member_id>/endorsements/<path:skill>",
           summary="Take back an endorsement", tag="network",
           description="204 whether or not there was one; allowed after the connection ended.",
           responses={204: "Not endorsed (any more)",
                      404: "not_found (also another instance's id)"})
def revoke(member: Member, member_id: int, skill: str) -> Reply:
    revoke_endorsement(db.session, g.instance, member, member_id, skill)
    return None, 204


@operation("GET", "/members/<int:member_id>/endorsements", summary="Endorsements per skill",
           tag="network", responses={200: ("Listed skills with who endorsed them",
                                            SkillEndorsementList),
                                      404: "not_found"})
def list_endorsements(member: Member, member_id: int) -> Reply:
    target = access_member(db.session, g.instance, member, member_id)
    summary = endorsement_summary(db.session, g.instance, member, target)
    results = [{"skill": s.skill, "count": s.count,
                "endorsers": [{"id": e.id, "name": e.name} for e in s.endorsers]}
               for s in summary]
    return {"total": len(results), "results": results}, 200


@operation("POST", "/members/<int:member_id>/recommendations",
           summary="Recommend a connection", tag="network", body=RecommendIn, idempotent=True,
           description="One per author and member: writing again replaces the text and waits "
           "for approval again (200); the same text again changes nothing.",
           responses={201: ("Written, pending approval", RecommendationOut),
                      200: ("Rewritten (or unchanged)", RecommendationOut),
                      403: "not_connected", 404: "not_found",
                      422: "validation_failed, cannot_recommend_self"})
def recommend(member: Member, member_id: int, body: RecommendIn) -> Reply:
    row, created = write_recommendation(
        db.session, g.instance, member, member_id, relationship=body.relationship,
        text=body.text, relationship_detail=body.relationship_detail)
    return recommendation_dict(row), 201 if created else 200


@operation("GET", "/members/<int:member_id>/recommendations",
           summary="Recommendations about a member", tag="network",
           description="Approved ones; the member also sees pending and hidden ones, an "
           "author their own.",
           responses={200: ("Recommendations the caller may see", RecommendationList),
                      404: "not_found"})
def recommendations_of(member: Member, member_id: int) -> Reply:
    target = access_member(db.session, g.instance, member, member_id)
    rows = list_recommendations(db.session, g.instance, member, target)
    return {"total": len(rows), "results": [recommendation_dict(r) for r in rows]}, 200


@operation("POST", "/recommendations/<int:recommendation_id>/approve",
           summary="Publish a recommendation about oneself", tag="network", idempotent=True,
           responses={200: ("Approved (public)", RecommendationOut),
                      403: "not_allowed (only the recommended member)", 404: "not_found"})
def approve(member: Member, recommendation_id: int) -> Reply:
    row = approve_recommendation(db.session, g.instance, member, recommendation_id)
    return recommendation_dict(row), 200


@operation("POST", "/recommendations/<int:recommendation_id>/hide",
           summary="Hide a recommendation about oneself", tag="network", idempotent=True,
           responses={200: ("Hidden (approve shows it again)", RecommendationOut),
                      403: "not_allowed (only the recommended member)", 404: "not_found"})
def hide(member: Member, recommendation_id: int) -> Reply:
    row = hide_recommendation(db.session, g.instance, member, recommendation_id)
    return recommendation_dict(row), 200


@operation("DELETE", "/recommendations/<int:recommendation_id>",
           summary="Delete a recommendation", tag="network",
           description="The recommended member, or its author (who withdraws it).",
           responses={204: "Deleted", 403: "not_allowed", 404: "not_found"})
def delete(member: Member, recommendation_id: int) -> Reply:
    delete_recommendation(db.session, g.instance, member, recommendation_id)
    return None, 204


@operation("POST", "/members/<int:member_id>/recommendation-requests",
           summary="Ask a connection for a recommendation", tag="network", body=AskIn,
           idempotent=True, responses={201: ("Asked", RecommendationRequestOut),
                                       200: ("Already asked", RecommendationRequestOut),
                                       403: "not_connected", 404: "not_found",
                                       422: "validation_failed, cannot_recommend_self"})
def ask(member: Member, member_id: int, body: AskIn) -> Reply:
    row, created = request_recommendation(db.session, g.instance, member, member_id,
                                          body.message)
    return {"id": row.id, "status": row.status, "asked_id": row.asked_id}, (
        201 if created else 200)


def profile_additions(viewer: Member, target: Member) -> dict[str, Any]:
    """The network's fields of GET /members/{id}: endorsement counts, approved
    recommendations."""
    counts = endorsement_counts(db.session, g.instance, viewer, target)
    approved = approved_recommendation_dicts(db.session, g.instance, target)
    return {"endorsements": counts, "recommendations": approved}
