"""Organisations, their admins, members' affiliations and daily reach snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member
from maillon.organisations.lifecycle import AFFILIATION

#: The closed list of sectors (labels in ``organisations.validation.sector_labels``).
SECTORS = (
    "research",
    "higher_education",
    "public_sector",
    "health",
    "industry",
    "technology",
    "consulting",
    "finance",
    "retail",
    "media",
    "culture",
    "association",
    "trades",
    "other",
)
#: How a confirmed affiliation was confirmed.
CONFIRMED_BY = ("domain", "admin")


def _values(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Organisation(TenantScoped, Base):
    __tablename__ = "organisations"
    __table_args__ = (
        # One organisation per name (case and spacing folded): no look-alike duplicates.
        UniqueConstraint("instance_id", "name_key"),
        CheckConstraint(_values("sector", SECTORS), name="sector_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str] = mapped_column(String(24), default="other")
    website: Mapped[str] = mapped_column(String(300), default="")
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)
    email_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    logo: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OrganisationAdmin(TenantScoped, Base):
    """A member who manages an organisation's page and confirms its affiliations."""

    __tablename__ = "organisation_admins"
    __table_args__ = (
        UniqueConstraint("organisation_id", "member_id"),
        Index("ix_organisation_admins_member", "instance_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class Affiliation(TenantScoped, Base):
    """A member's tie to an organisation, current or past, with the role they held."""

    __tablename__ = "affiliations"
    __table_args__ = (
        UniqueConstraint("organisation_id", "member_id"),
        AFFILIATION.check_constraint(),
        CheckConstraint(
            "confirmed_by IS NULL OR " + _values("confirmed_by", CONFIRMED_BY),
            name="confirmed_by_values",
        ),
        Index("ix_affiliations_org_status", "organisation_id", "status"),
        Index("ix_affiliations_member", "instance_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(120), default="")
    current: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(12))
    confirmed_by: Mapped[str | None] = mapped_column(String(8))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class ReachSnapshot(TenantScoped, Base):
    """An organisation's reach on one day (the growth chart): counts only."""

    __tablename__ = "organisation_reach_snapshots"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    day: Mapped[date]
    members: Mapped[int]
    second_degree: Mapped[int]
    third_degree: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "members": self.members,
            "second_degree": self.second_degree,
            "third_degree": self.third_degree,
        }
