"""Federation rows: each instance's policy and server rules, the operator's blocklist, actor
keys, and members' federation choices (docs/federation.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from maillon.db import Base, TenantScoped, utcnow

#: nobody: the instance serves no member actor and talks to no server; allowlist: only the
#: servers listed with severity ``none``; blocklist: every server but the suspended ones.
MODES = ("nobody", "allowlist", "blocklist")
#: As Mastodon's domain blocks: none (listed, e.g. allowed), limit (nothing of theirs reaches
#: discovery; their people are only seen by who connects with them), suspend (no exchange).
SEVERITIES = ("none", "limit", "suspend")


def _within(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class FederationPolicy(TenantScoped, Base):
    """How one instance federates; an instance without a row federates with nobody."""

    __tablename__ = "federation_policies"
    __table_args__ = (
        UniqueConstraint("instance_id"),
        CheckConstraint(_within("mode", MODES), name="mode_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(12), default="nobody")
    # Whether other servers may list and search this instance's opted-in members.
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FederatedServer(TenantScoped, Base):
    """One instance's rule for one remote server (a domain and its subdomains)."""

    __tablename__ = "federated_servers"
    __table_args__ = (
        UniqueConstraint("instance_id", "domain"),
        CheckConstraint(_within("severity", SEVERITIES), name="severity_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253))
    severity: Mapped[str] = mapped_column(String(8), default="none")
    reject_media: Mapped[bool] = mapped_column(Boolean, default=False)
    reject_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown to members instead of a reason that would name people.
    public_comment: Mapped[str] = mapped_column(String(500), default="")
    private_comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OperatorBlock(Base):
    """A server the deployment's operator refuses for every instance (not tenant-owned)."""

    __tablename__ = "operator_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActorKey(TenantScoped, Base):
    """An RSA key of the instance actor (``member_id`` NULL) or of a member's actor.

    ``owner`` is ``instance`` or ``m<member id>``, so one unique constraint covers both (NULLs
    never collide in a unique index). The private key is sealed (``federation/keys.py``)."""

    __tablename__ = "actor_keys"
    __table_args__ = (
        UniqueConstraint("instance_id", "owner", "generation"),
        Index("ix_actor_keys_member", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(24))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    public_pem: Mapped[str] = mapped_column(Text)
    private_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FederatedMember(TenantScoped, Base):
    """A member's choice to be reachable from other servers, with the handle they get there."""

    __tablename__ = "federated_members"
    __table_args__ = (
        UniqueConstraint("instance_id", "member_id"),
        UniqueConstraint("instance_id", "handle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # preferredUsername and the acct: handle; kept when the name changes and when the member
    # withdraws (``enabled`` off), so it never comes back naming someone else.
    handle: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    indexable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
