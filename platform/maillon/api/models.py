"""Idempotency keys: the first answer to a state-changing request, replayed on a repeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maillon.db import Base, TenantScoped, utcnow


class IdempotencyKey(TenantScoped, Base):
    """One client key per caller: ``scope`` is ``member:<id>`` or ``anonymous``.

    The row is inserted as ``pending`` before the request runs, so the unique constraint lets
    only one of two simultaneous requests execute; it becomes ``done`` with the answer.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("instance_id", "scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    # HMAC of method, path and canonical body: a different request under the same key is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending | done
    response_status: Mapped[int | None]
    response_body: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
