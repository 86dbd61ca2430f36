"""The audit log (one row per staff action, written in the action's own transaction), the
sanctions staff impose on members with the members' appeals against them, and the reports
members file about members and content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member
from maillon.moderation.lifecycle import (
    APPEAL,
    APPEAL_OPEN,
    IN_FORCE,
    REPORT,
    REPORT_OPEN,
    SANCTION,
)

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
    "report_dismissed",
    "report_actioned",
    "member_deleted",
    "policy_changed",
    "introduction_approved",
    "introduction_blocked",
    "role_changed",
    "federation_changed",
    "organisation_managed",
    "instance_created",
    "instance_moved",
    "instance_disabled",
    "instance_enabled",
    "post_removed",
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
    status: Mapped[str] = mapped_column(String(12), default=IN_FORCE)
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
    status: Mapped[str] = mapped_column(String(12), default=APPEAL_OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    response: Mapped[str] = mapped_column(Text, default="")

    sanction: Mapped[Sanction] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])


#: What a member may report (``post``: a post in a hub; ``relay``: the note an ambassador sent
#: with an opportunity).
REPORT_SUBJECTS = ("member", "introduction", "recommendation", "message", "post",
                   "opportunity", "relay")
#: Why, as a category staff can sort on; ``details`` says the rest.
REPORT_REASONS = ("spam", "harassment", "impersonation", "inappropriate", "other")


def _values(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Report(TenantScoped, Base):
    """A member's report about a member or a piece of content (``subject_type``/``subject_id``);
    ``status`` follows ``moderation.lifecycle.REPORT``.

    ``subject_member_id`` is who is reported: the member, or the content's author. ``snapshot``
    keeps the reported text as the reporter saw it, so staff judge what was reported even once
    it is edited or deleted. ``ignored``: filed after staff chose to ignore this reporter about
    this subject; kept (the reporter sees it as received) but never queued.
    """

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_values("subject_type", REPORT_SUBJECTS), name="subject_type_values"),
        CheckConstraint(_values("reason", REPORT_REASONS), name="reason_values"),
        REPORT.check_constraint(),
        # One open report per reporter and subject: a repeat updates it (mass reporting).
        Index("uq_reports_open_per_reporter", "instance_id", "reporter_id", "subject_type",
              "subject_id", unique=True, sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
        Index("ix_reports_queue", "instance_id", "status", "subject_type", "subject_id"),
        Index("ix_reports_reporter", "instance_id", "reporter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    # SET NULL: a report outlives the account it was about (the snapshot keeps the name).
    subject_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    subject_name: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=REPORT_OPEN)
    ignored: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    # What staff did (their words: for staff and the audit log, never shown to the reporter).
    resolution: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)

    reporter: Mapped[Member] = relationship(foreign_keys=[reporter_id])
    subject_member: Mapped[Member | None] = relationship(foreign_keys=[subject_member_id])


class ReportIgnore(TenantScoped, Base):
    """Staff chose to ignore further reports by ``reporter_id`` about one subject."""

    __tablename__ = "report_ignores"
    __table_args__ = (
        UniqueConstraint("instance_id", "reporter_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
