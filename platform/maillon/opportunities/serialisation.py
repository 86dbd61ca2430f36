"""Opportunities, relays and referral requests as the API shows them."""

from __future__ import annotations

from typing import Any

from maillon.members.models import Member
from maillon.opportunities.models import Opportunity, ReferralRequest, Relay
from maillon.opportunities.services import OpportunityView, Stats
from maillon.opportunities.suggestions import Suggestion


def person(member: Member) -> dict[str, Any]:
    return {"id": member.id, "name": member.name}


def opportunity_dict(row: Opportunity) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "title": row.title, "text": row.description,
            "location": row.location, "skills": list(row.skills or []),
            "closes_on": row.closes_on.isoformat() if row.closes_on else None,
            "status": row.status, "poster": person(row.poster),
            "organisation": ({"id": row.organisation.id, "name": row.organisation.name}
                             if row.organisation else None),
            "created_at": row.created_at.isoformat(),
            "closed_at": row.closed_at.isoformat() if row.closed_at else None}


def relay_dict(relay: Relay, *, for_contact: bool) -> dict[str, Any]:
    """For the contact: who relayed it, the note, their answer. For the ambassador: to whom
    and the note, never the contact's answer."""
    out: dict[str, Any] = {"id": relay.id, "opportunity_id": relay.opportunity_id,
                           "note": relay.note, "referral": relay.referral,
                           "created_at": relay.created_at.isoformat()}
    if for_contact:
        out["ambassador"] = person(relay.ambassador)
        out["answer"] = relay.answer
    else:
        out["member"] = person(relay.contact)
    return out


def stats_dict(stats: Stats) -> dict[str, Any]:
    return {"reach": stats.reach, "relays": stats.relays, "interested": stats.interested,
            "not_now": stats.not_now, "waiting": stats.waiting,
            "ambassadors": [{"member": person(a.member), "relays": a.relays,
                             "interested": a.interested} for a in stats.ambassadors],
            "interested_people": [
                {"member": person(i.contact), "message": i.message,
                 "vouches": [{"ambassador": person(r.ambassador), "note": r.note,
                              "referral": r.referral} for r in i.relays]}
                for i in stats.interested_people]}


def request_dict(row: ReferralRequest) -> dict[str, Any]:
    return {"id": row.id, "opportunity_id": row.opportunity_id, "asker": person(row.asker),
            "ambassador": person(row.ambassador), "note": row.note, "status": row.status,
            "created_at": row.created_at.isoformat()}


def view_dict(view: OpportunityView) -> dict[str, Any]:
    out = opportunity_dict(view.opportunity)
    out["is_ambassador"] = view.is_ambassador
    out["received"] = [relay_dict(r, for_contact=True) for r in view.received]
    out["relayed"] = [relay_dict(r, for_contact=False) for r in view.sent]
    out["stats"] = stats_dict(view.stats) if view.stats is not None else None
    out["can_ask_for_referral"] = [person(m) for m in view.can_refer_me]
    out["referral_requests"] = [request_dict(r) for r in view.my_requests]
    out["referral_requests_to_me"] = [request_dict(r) for r in view.requests_to_me]
    return out


def suggestion_dict(suggestion: Suggestion) -> dict[str, Any]:
    member = suggestion.member
    return {"member": {"id": member.id, "name": member.name, "headline": member.headline,
                       "location": member.location},
            "score": round(suggestion.score, 4)}
