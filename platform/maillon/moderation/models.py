"""The audit log: one row per staff action, written in the action's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from maillon.db import Base, TenantScoped, utcnow

#: Every action the log knows, in the order the filter lists them. A new staff action adds its
#: name here (the CHECK constraint follows, through a migration).
AUDIT_ACTIONS = (
    "member_approved",
    "member_rejected",
    "invitation_sent",
    "introduction_viewed",
    "audit_exported",
)


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
