"""Connections between members, with each side's private trust, and the changelog that keeps
every process's in-memory graph current."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member
from maillon.network.lifecycle import CONNECTION

TRUST_MIN, TRUST_MAX, TRUST_DEFAULT = 1, 5, 3


class Connection(TenantScoped, Base):
    __tablename__ = "connections"
    __table_args__ = (
        UniqueConstraint("instance_id", "low_id", "high_id"),
        CheckConstraint("low_id < high_id", name="ordered_pair"),
        CheckConstraint("trust_requester BETWEEN 1 AND 5", name="trust_requester_range"),
        CheckConstraint("trust_addressee BETWEEN 1 AND 5", name="trust_addressee_range"),
        # The states of network/lifecycle.py's table (a migration adds it to existing databases).
        CONNECTION.check_constraint(),
        Index("ix_connections_requester", "instance_id", "requester_id", "status"),
        Index("ix_connections_addressee", "instance_id", "addressee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The pair, ordered, so that a pair has one row whoever asked.
    low_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    high_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    addressee_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    message: Mapped[str] = mapped_column(Text, default="")
    # Each side's private rating of the other: never shown to the other side or anyone else.
    trust_requester: Mapped[int] = mapped_column(default=TRUST_DEFAULT)
    trust_addressee: Mapped[int] = mapped_column(default=TRUST_DEFAULT)
    # Whether each side has rated yet (the one-click prompt after accepting).
    rated_requester: Mapped[bool] = mapped_column(default=False)
    rated_addressee: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]

    requester: Mapped[Member] = relationship(foreign_keys=[requester_id])
    addressee: Mapped[Member] = relationship(foreign_keys=[addressee_id])

    def other_id(self, member_id: int) -> int:
        return self.addressee_id if member_id == self.requester_id else self.requester_id

    def other(self, member_id: int) -> Member:
        return self.addressee if member_id == self.requester_id else self.requester

    def trust_of(self, member_id: int) -> int:
        """The rating ``member_id`` gave the other side."""
        return self.trust_requester if member_id == self.requester_id else self.trust_addressee


class ConnectionChange(TenantScoped, Base):
    """Append-only: every add, remove and rating change, in commit order per instance."""

    __tablename__ = "connection_changes"
    __table_args__ = (Index("ix_connection_changes_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(6))  # add | remove | trust
    a: Mapped[int]
    b: Mapped[int]
    trust_ab: Mapped[int | None]
    trust_ba: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
