"""A member's home page: what waits for them, people they may know, and how their own
introduction requests are doing. Each part comes from its domain's service, as that member
may see it; a constant number of queries whatever the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.introductions import services as introductions
from maillon.members.models import Member
from maillon.members.serialisation import MemberCard
from maillon.network import recommendations
from maillon.network.lifecycle import PENDING
from maillon.network.recommendation_models import AWAITING_APPROVAL
from maillon.network.services import list_connections
from maillon.network.suggestions import suggest_people
from maillon.opportunities.waiting import WaitingOpportunities, waiting_opportunities
from maillon.tenancy.models import Instance

#: Items of each kind shown on the home page (the full lists are one link away).
SHOWN = 5


@dataclass(frozen=True)
class Dashboard:
    """Everything the home page shows a logged-in member."""

    introductions: introductions.Overview
    invitations: list[Any]  # pending connections addressed to the member
    invitations_total: int
    to_approve: list[Any]  # recommendations about the member waiting for their approval
    asked: list[Any]  # open requests asking the member for a recommendation
    opportunities: WaitingOpportunities  # passed on to them, referrals asked of them
    suggestions: list[MemberCard]
    today: date  # UTC: "since yesterday", "since Monday"

    @property
    def waiting_total(self) -> int:
        return (self.introductions.waiting_total + self.invitations_total
                + len(self.to_approve) + len(self.asked) + self.opportunities.total)


def member_dashboard(session: Session, instance: Instance, member: Member) -> Dashboard:
    """The member's home page data."""
    invitations_total, invitations = list_connections(
        session, instance, member, status=PENDING, direction="in", per_page=SHOWN)
    about_me = recommendations.list_recommendations(session, instance, member, member)
    return Dashboard(
        introductions=introductions.introductions_overview(session, instance, member,
                                                          limit=SHOWN),
        invitations=invitations, invitations_total=invitations_total,
        to_approve=[r for r in about_me if r.status == AWAITING_APPROVAL],
        asked=recommendations.list_recommendation_requests(session, instance, member),
        opportunities=waiting_opportunities(session, instance, member, limit=SHOWN),
        suggestions=suggest_people(session, instance, member),
        today=utcnow().date(),
    )
