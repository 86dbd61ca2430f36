"""In-app notifications: one row per event and recipient, unread until read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.members.models import Member


class Notification(TenantScoped, Base):
    __tablename__ = "notifications"
    # The badge counts unread rows of one member: (instance, member, read_at) answers it.
    __table_args__ = (
        Index("ix_notifications_member_read", "instance_id", "member_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # Who acted; kept when they leave (the sentence then names nobody).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # What the notification links to, e.g. ("connections", 12).
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
