"""What of the opportunities waits for a member, for their home page: the ones passed on to
them that they have not answered, and the referrals their contacts asked them for. Only while
the opportunity still takes answers (open, its closing date not passed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from maillon.members.models import Member
from maillon.opportunities.models import OPEN, PENDING, Opportunity, ReferralRequest, Relay
from maillon.opportunities.services import today
from maillon.tenancy.models import Instance


@dataclass(frozen=True)
class WaitingOpportunities:
    relays: list[Relay]  # passed on to the member, unanswered, newest first
    relays_total: int
    referrals: list[ReferralRequest]  # contacts asking the member to refer them, oldest first
    referrals_total: int

    @property
    def total(self) -> int:
        return self.relays_total + self.referrals_total


def waiting_opportunities(session: Session, instance: Instance, member: Member, *,
                          limit: int = 5) -> WaitingOpportunities:
    """At most ``limit`` of each kind, with their totals: four queries whatever the numbers."""
    still_open = (Opportunity.status == OPEN) & or_(Opportunity.closes_on.is_(None),
                                                      Opportunity.closes_on >= today())
    relayed = (select(Relay).join(Opportunity, Opportunity.id == Relay.opportunity_id)
               .where(Relay.instance_id == instance.id, Opportunity.instance_id == instance.id,
                      Relay.contact_id == member.id, Relay.answer.is_(None), still_open))
    asked = (select(ReferralRequest)
             .join(Opportunity, Opportunity.id == ReferralRequest.opportunity_id)
             .join(Member, Member.id == ReferralRequest.asker_id)
             .where(ReferralRequest.instance_id == instance.id,
                    Opportunity.instance_id == instance.id, Member.instance_id == instance.id,
                    ReferralRequest.ambassador_id == member.id,
                    ReferralRequest.status == PENDING, Member.status == "active", still_open))

    def count(query: Select[Any]) -> int:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    relays = list(session.scalars(relayed.options(
        joinedload(Relay.opportunity), joinedload(Relay.ambassador))
        .order_by(Relay.id.desc()).limit(limit)))
    referrals = list(session.scalars(asked.options(
        joinedload(ReferralRequest.opportunity), joinedload(ReferralRequest.asker))
        .order_by(ReferralRequest.id).limit(limit)))
    return WaitingOpportunities(
        relays=relays, relays_total=count(relayed) if len(relays) == limit else len(relays),
        referrals=referrals,
        referrals_total=count(asked) if len(referrals) == limit else len(referrals))
