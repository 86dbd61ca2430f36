"""Opportunities, the relays that carry them to ambassadors' contacts, and requests for a
referral."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.lifecycle import Lifecycle
from maillon.members.models import Member
from maillon.organisations.models import Organisation

OPPORTUNITY = Lifecycle.of("opportunity", initial={"open"}, allowed={
    # Closed by its poster (or an admin of its organisation): no more relays or answers.
    "open": {"closed"},
    "closed": set(),
})
OPEN = OPPORTUNITY.state("open")
CLOSED = OPPORTUNITY.state("closed")

REFERRAL = Lifecycle.of("referral_request", initial={"pending"}, allowed={
    "pending": {"referred", "declined"},
    "referred": set(),
    "declined": set(),
})
PENDING = REFERRAL.state("pending")
REFERRED = REFERRAL.state("referred")
DECLINED = REFERRAL.state("declined")

#: job; partnership; call (for papers or projects); purchase (a need to buy).
KINDS = ("job", "partnership", "call", "purchase")
#: A contact's answer to a relay.
ANSWERS = ("interested", "not_now")
INTERESTED, NOT_NOW = ANSWERS


def _values(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Opportunity(TenantScoped, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        OPPORTUNITY.check_constraint(),
        CheckConstraint(_values("kind", KINDS), name="kind_values"),
        Index("ix_opportunities_listing", "instance_id", "status", "created_at"),
        Index("ix_opportunities_poster", "instance_id", "poster_id"),
        Index("ix_opportunities_organisation", "instance_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poster_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(120), default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    closes_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    poster: Mapped[Member] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def accepts_relays(self, today: date) -> bool:
        """Open, and its closing date (if any) not passed."""
        return self.status == OPEN and (self.closes_on is None or self.closes_on >= today)


class Relay(TenantScoped, Base):
    """An ambassador passing an opportunity to one of their contacts, with a personal note
    (the vouch the poster reads if the contact is interested). ``answer`` is the contact's:
    the same on every relay of one opportunity to them."""

    __tablename__ = "opportunity_relays"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "ambassador_id", "contact_id"),
        CheckConstraint("answer IS NULL OR " + _values("answer", ANSWERS),
                        name="answer_values"),
        CheckConstraint("ambassador_id <> contact_id", name="not_to_self"),
        Index("ix_opportunity_relays_contact", "instance_id", "contact_id"),
        Index("ix_opportunity_relays_opportunity", "opportunity_id", "contact_id"),
        Index("ix_opportunity_relays_ambassador", "instance_id", "ambassador_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"))
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: Made from the contact's own request for a referral.
    referral: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(String(12))
    answer_message: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    opportunity: Mapped[Opportunity] = relationship()
    ambassador: Mapped[Member] = relationship(foreign_keys=[ambassador_id])
    contact: Mapped[Member] = relationship(foreign_keys=[contact_id])


class ReferralRequest(TenantScoped, Base):
    """A member asking one of their connections, an ambassador of the opportunity, to refer
    them."""

    __tablename__ = "opportunity_referral_requests"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "asker_id", "ambassador_id"),
        REFERRAL.check_constraint(),
        Index("ix_opportunity_referrals_ambassador", "instance_id", "ambassador_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    opportunity: Mapped[Opportunity] = relationship()
    asker: Mapped[Member] = relationship(foreign_keys=[asker_id])
    ambassador: Mapped[Member] = relationship(foreign_keys=[ambassador_id])
