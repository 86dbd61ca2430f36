"""The audit log (one row per staff action, written in the action's own transaction), and the
sanctions staff impose on members with the members' appeals against them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member
from maillon.moderation.lifecycle import APPEAL, SANCTION

#: Every action the log knows, in the order the filter lists them. A new staff action adds its
#: name here (the CHECK constraint follows, through a migration).
AUDIT_ACTIONS = (
    "member_approved",
    "member_rejected",
    "invitation_sent",
    "introduction_viewed",
    "audit_exported",
    "member_warned",
    "member_limited",
    "member_suspended",
    "sanction_lifted",
    "sanction_expired",
    "appeal_accepted",
    "appeal_rejected",
)

#: What staff may impose: a warning on record, a limit (no new introductions, direct messages
#: or connection requests), a suspension (no login, no API, out of search and chains).
SANCTION_KINDS = ("warn", "limit", "suspend")


class AuditEntry(TenantScoped, Base):
    """Who (``actor``) did what (``action``) to whom (``subject_member``) or to which row
    (``subject_type``/``subject_id``), when, why and from which address."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint("action IN ({})".format(", ".join(f"'{a}'" for a in AUDIT_ACTIONS)),
                        name="action_values"),
        Index("ix_audit_entries_instance_created", "instance_id", "created_at"),
        Index("ix_audit_entries_actor", "instance_id", "actor_id"),
        Index("ix_audit_entries_subject_member", "instance_id", "subject_member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # SET NULL: the log outlives the people in it; ``actor_name`` keeps who it was.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(40))
    subject_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    subject_name: Mapped[str] = mapped_column(String(120), default="")
    subject_type: Mapped[str] = mapped_column(String(20), default="")
    subject_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Sanction(TenantScoped, Base):
    """One sanction of one member; ``status`` follows ``moderation.lifecycle.SANCTION``."""

    __tablename__ = "sanctions"
    __table_args__ = (
        CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in SANCTION_KINDS)),
                        name="kind_values"),
        SANCTION.check_constraint(),
        Index("ix_sanctions_member", "instance_id", "member_id", "status"),
        Index("ix_sanctions_until", "status", "until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="active")
    reason: Mapped[str] = mapped_column(Text)
    # None: until lifted (a warning stays on record until an appeal withdraws it).
    until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class Appeal(TenantScoped, Base):
    """A member's one appeal against one sanction; ``status`` follows ``APPEAL``."""

    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("instance_id", "sanction_id"),  # once per sanction
        APPEAL.check_constraint(),
        Index("ix_appeals_status", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    response: Mapped[str] = mapped_column(Text, default="")

    sanction: Mapped[Sanction] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
