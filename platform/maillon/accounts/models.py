"""Server-side login sessions, API tokens, one-time e-mail tokens and invitations.

Only SHA-256 digests of secrets are stored: a leaked table grants nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.lifecycle import Lifecycle
from maillon.members.models import Member

INVITATION_BATCH = Lifecycle.of("invitation batch", initial={"draft"}, allowed={
    # Checked and shown to the admin; sent by the worker once confirmed; every row handled.
    "draft": {"sending"},
    "sending": {"done"},
    "done": set(),
})


class LoginSession(TenantScoped, Base):
    """A browser login. Logging out revokes the row, so a replayed cookie is refused."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    member: Mapped[Member] = relationship()


class ApiToken(TenantScoped, Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()


class EmailToken(TenantScoped, Base):
    """A one-time link sent by e-mail: address verification or password reset."""

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    purpose: Mapped[str] = mapped_column(String(12))  # verify | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Invitation(TenantScoped, Base):
    """Lets one address join an instance whose registration policy is ``invite``."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("instance_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class InvitationBatch(TenantScoped, Base):
    """Invitations from one CSV file: checked row by row (``draft``, the preview), then sent
    by the worker in chunks (``sending``, with counts the progress page reads) until ``done``.

    ``rows``: ``[{line, email, problem, outcome}]`` in the file's order; ``problem`` is None or
    a code (``invalid``, ``duplicate``, ``member``, ``domain``), ``outcome`` None (not yet),
    ``invited``, ``skipped`` (it had a problem) or ``failed``.
    """

    __tablename__ = "invitation_batches"
    __table_args__ = (INVITATION_BATCH.check_constraint(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(default=0)
    ready: Mapped[int] = mapped_column(default=0)
    invited: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
