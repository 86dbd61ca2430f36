"""Introduction requests travelling along a chain of contacts, each hop, and their audit trail.

An introduction holds the chain of its current attempt (``path``: requester first, target last)
and who holds it now. Each intermediary's turn is an ``IntroductionHop`` row, created when the
request reaches them; every action also appends an ``IntroductionEvent``, the trail moderation
reads. After a decline or an expiry the requester may retry along another chain: the attempt
number grows and the member who stopped it joins ``avoid``. Which status may follow which is
``introductions/lifecycle.py``'s table; a CHECK constraint keeps each status column within it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.federation.models import RemoteActor
from maillon.introductions.lifecycle import (
    HOP,
    HOP_STATUSES,
    IN_PROGRESS,
    INCOMING,
    INCOMING_TURN,
    INTRODUCTION,
    OPEN_STATUSES,
    RETRYABLE_STATUSES,
    STATUSES,
)
from maillon.members.models import Member

__all__ = ["HOP_STATUSES", "OPEN_STATUSES", "RETRYABLE_STATUSES", "STATUSES", "EVENT_KINDS",
           "Introduction", "IntroductionHop", "IntroductionEvent", "DirectMessage",
           "IntroductionStaffView", "IncomingIntroduction", "IncomingIntroductionTurn"]
EVENT_KINDS = ("requested", "forwarded", "rerouted", "declined", "advised", "expired",
               "delivered", "accepted", "rejected", "withdrawn", "blocked", "retried", "thanked",
               "held", "approved")


class Introduction(TenantScoped, Base):
    __tablename__ = "introductions"
    __table_args__ = (
        Index("ix_introductions_requester", "instance_id", "requester_id", "status"),
        Index("ix_introductions_target", "instance_id", "target_id", "status"),
        Index("ix_introductions_deadline", "status", "hop_deadline"),
        Index("ix_introductions_closed", "instance_id", "closed_at"),  # the retention purge
        INTRODUCTION.check_constraint(),
        # A member of the instance, or a person on another server (decision 56): one of them.
        CheckConstraint("(target_id IS NULL) <> (remote_target_id IS NULL)", name="one_target"),
        Index("ix_introductions_offer", "instance_id", "offer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # None when the target is on another server: ``remote_target_id`` names them, and the
    # path ends with ``-remote_target_id`` (remote people are never member ids, decision 47b).
    target_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    remote_target_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_actors.id", ondelete="CASCADE"), index=True)
    # When the chain continues on the target's server (decision 61): the person there the
    # Offer goes to (a contact of the last local relay), and the people after them as that
    # server showed them (``[{"name": ..., "uri": ...}]``, None where it names nobody).
    remote_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_actors.id", ondelete="CASCADE"))
    remote_beyond: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The id of the Offer the last local relay sent across (its Accept or Reject names it).
    offer_id: Mapped[str | None] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=IN_PROGRESS)
    attempt: Mapped[int] = mapped_column(default=1)
    # Member ids of the current attempt's chain, requester first, target last.
    path: Mapped[list[int]] = mapped_column(JSON, default=list)
    hops: Mapped[int] = mapped_column(default=1)
    # Position in ``path`` of whoever holds the request: 1 = first intermediary, hops = target.
    current_hop: Mapped[int] = mapped_column(default=1)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    hop_deadline: Mapped[datetime | None]
    # Members who declined or let it expire: routed around, never shown to the requester.
    avoid: Mapped[list[int]] = mapped_column(JSON, default=list)
    outcome_message: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # When the retention policy erased its private texts (messages, notes, vouches, reasons).
    purged_at: Mapped[datetime | None]

    requester: Mapped[Member] = relationship(foreign_keys=[requester_id])
    target: Mapped[Member | None] = relationship(foreign_keys=[target_id])
    remote_target: Mapped[RemoteActor | None] = relationship(foreign_keys=[remote_target_id])
    remote_entry: Mapped[RemoteActor | None] = relationship(foreign_keys=[remote_entry_id])

    @property
    def target_name(self) -> str:
        """The target as pages name them: a member's name, or a remote person's name with
        their address (``Bruno Martin (bruno@assoc.example)``)."""
        if self.target is not None:
            return self.target.name
        remote = self.remote_target
        return f"{remote.name} ({remote.handle})" if remote is not None else "…"

    @property
    def links(self) -> int:
        """Links of the whole chain: ``hops`` here (the one across included), and when the
        chain continues on their server, those after the entry there (decision 61)."""
        if self.remote_entry_id is None:
            return self.hops
        return self.hops + len(self.remote_beyond or ()) + 1

    @property
    def crosses(self) -> bool:
        """Whether the target is a person on another server (the last hop crosses)."""
        return self.remote_target_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"<Introduction {self.id} {self.status} {self.current_hop}/{self.hops}>"


class IntroductionHop(TenantScoped, Base):
    """One intermediary's turn in one attempt."""

    __tablename__ = "introduction_hops"
    __table_args__ = (
        UniqueConstraint("introduction_id", "attempt", "position"),
        Index("ix_introduction_hops_member", "instance_id", "member_id", "status"),
        HOP.check_constraint(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int]
    position: Mapped[int]
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="holding")
    note_from_previous: Mapped[str] = mapped_column(Text, default="")
    vouch: Mapped[str] = mapped_column(Text, default="")  # the target will see it
    decline_reason: Mapped[str] = mapped_column(Text, default="")  # upstream only
    deadline: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acted_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()


class IntroductionEvent(TenantScoped, Base):
    """Append-only: who did what to a request, and when."""

    __tablename__ = "introduction_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Member | None] = relationship()


class DirectMessage(TenantScoped, Base):
    __tablename__ = "direct_messages"
    __table_args__ = (
        Index("ix_direct_messages_recipient", "instance_id", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sender: Mapped[Member] = relationship(foreign_keys=[sender_id])
    recipient: Mapped[Member] = relationship(foreign_keys=[recipient_id])


class IntroductionStaffView(TenantScoped, Base):
    """Append-only: a moderator or admin who is not part of a request opened it (page or API).

    Staff see such a request without its private texts (notes, vouches, reasons, advice,
    answers); each opening is recorded here, for the instance's own audit.
    """

    __tablename__ = "introduction_staff_views"
    __table_args__ = (
        Index("ix_introduction_staff_views_introduction", "instance_id", "introduction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncomingIntroduction(TenantScoped, Base):
    """An introduction request that reached a member from another server (decision 56a): the
    Offer their contact there (``carrier``) sent, on behalf of ``requester``; one row per
    Offer id, so a repeat never makes a second request."""

    __tablename__ = "incoming_introductions"
    __table_args__ = (
        UniqueConstraint("instance_id", "offer_id"),
        Index("ix_incoming_introductions_member", "instance_id", "member_id", "status"),
        INCOMING.check_constraint(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    carrier_id: Mapped[int] = mapped_column(ForeignKey("remote_actors.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("remote_actors.id", ondelete="CASCADE"))
    offer_id: Mapped[str] = mapped_column(String(500))
    # The Offer's content (the message and the carrier's vouch) as plain text.
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    # When the chain continues here (decision 62): ``member_id`` is the entry relay X (the
    # Offer was addressed to them, and a Reject goes out in their name), ``target_id`` the
    # member the requester wants to meet. NULL: the member is the target (decision 56a).
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # Member ids of the chain on this side, X first, the target last (re-planned from a
    # holder around members who stopped relaying); empty for the member-is-target rows.
    path: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The most links the chain may take on this side (the Offer's maxHops - hop, lowered by
    # the target's and the instance's cap).
    max_links: Mapped[int | None]
    # When it reached the target (who may see it only from then on).
    delivered_at: Mapped[datetime | None]

    carrier: Mapped[RemoteActor] = relationship(foreign_keys=[carrier_id])
    requester: Mapped[RemoteActor] = relationship(foreign_keys=[requester_id])
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    target: Mapped[Member | None] = relationship(foreign_keys=[target_id])

    @property
    def relayed(self) -> bool:
        """Whether the chain continues here (the member it was addressed to is a relay)."""
        return self.target_id is not None

    @property
    def answerer_id(self) -> int:
        """The member who accepts or declines: the target."""
        return self.target_id if self.target_id is not None else self.member_id


class IncomingIntroductionTurn(TenantScoped, Base):
    """One relay's turn on this side of a request from another server (decision 62): the
    relay at ``position`` of the chain here (1 = the entry relay X), what they did and when;
    each relay lists the requests they held from these rows."""

    __tablename__ = "incoming_introduction_turns"
    __table_args__ = (
        UniqueConstraint("incoming_id", "position"),
        Index("ix_incoming_introduction_turns_member", "instance_id", "member_id", "status"),
        Index("ix_incoming_introduction_turns_deadline", "status", "deadline"),
        INCOMING_TURN.check_constraint(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incoming_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_introductions.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    # Read by the next person on the chain and by the target, never by earlier relays.
    vouch: Mapped[str] = mapped_column(Text, default="")
    # Why they declined: theirs alone (never sent across, shown to nobody else).
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acted_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()
