"""Written recommendations (pending → approved | hidden) and requests for one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member

# How the author knows the recommended member (the author's point of view).
RELATIONSHIPS = ("managed_directly", "reported_to", "same_team", "client", "studied_together",
                 "other")
# pending: waits for the recommended member; approved: public; hidden: taken off the profile
# by the recommended member (who may show it again).
AWAITING_APPROVAL, APPROVED, HIDDEN = RECOMMENDATION_STATUSES = ("pending", "approved", "hidden")
# open: waiting; written: the asked member wrote one; dismissed: the asked member said no.
ASKED, WRITTEN, DISMISSED = REQUEST_STATUSES = ("open", "written", "dismissed")


class Recommendation(TenantScoped, Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("instance_id", "author_id", "recipient_id"),
        Index("ix_recommendations_recipient", "instance_id", "recipient_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    relationship_kind: Mapped[str] = mapped_column("relationship", String(20))
    relationship_detail: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=AWAITING_APPROVAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]

    author: Mapped[Member] = relationship(foreign_keys=[author_id])
    recipient: Mapped[Member] = relationship(foreign_keys=[recipient_id])


class RecommendationRequest(TenantScoped, Base):
    """A member asking a connection for a recommendation; one row per pair, reopened on asking
    again."""

    __tablename__ = "recommendation_requests"
    __table_args__ = (
        UniqueConstraint("instance_id", "requester_id", "asked_id"),
        Index("ix_recommendation_requests_asked", "instance_id", "asked_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    asked_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=ASKED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    requester: Mapped[Member] = relationship(foreign_keys=[requester_id])
    asked: Mapped[Member] = relationship(foreign_keys=[asked_id])
