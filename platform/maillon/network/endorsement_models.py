"""Skill endorsements: one row per endorser, member and skill (a double click is one row)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member


def skill_key(skill: str) -> str:
    """The comparison form of a skill: spaces collapsed, case folded."""
    return " ".join(skill.split()).casefold()


class Endorsement(TenantScoped, Base):
    __tablename__ = "endorsements"
    __table_args__ = (
        UniqueConstraint("instance_id", "member_id", "endorser_id", "skill_key"),
        Index("ix_endorsements_member", "instance_id", "member_id", "skill_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    endorser_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                             index=True)
    # Matched against the member's listed skills by key: removing a skill hides its rows,
    # listing it again shows them.
    skill_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    endorser: Mapped[Member] = relationship(foreign_keys=[endorser_id])
