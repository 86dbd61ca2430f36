"""Federation rows: each instance's policy and server rules, the operator's blocklist, actor
keys, and members' federation choices (docs/federation.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
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
from maillon.federation.lifecycle import DELIVERY, INBOX, REMOTE_CONNECTION

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


class RemoteKey(Base):
    """A remote actor's public key, as last fetched (a cache of public documents, shared by
    the instances: no tenant's data). ``fetched_at`` rate-limits refetches."""

    __tablename__ = "remote_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(500), unique=True)
    actor: Mapped[str] = mapped_column(String(500))
    public_pem: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxActivity(TenantScoped, Base):
    """An activity received in one of the instance's inboxes, verified; one row per activity
    id (de-duplication, kept ``INBOX_RETENTION_DAYS``), processed by the worker."""

    __tablename__ = "inbox_activities"
    __table_args__ = (
        UniqueConstraint("instance_id", "activity_id"),
        INBOX.check_constraint(),
        Index("ix_inbox_activities_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(500))
    # The personal inbox it came to (None: the shared inbox).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="received")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class Delivery(TenantScoped, Base):
    """One activity to one inbox (``federation/delivery.py``); ``status`` follows
    ``lifecycle.DELIVERY``."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("instance_id", "activity_id", "inbox"),
        DELIVERY.check_constraint(),
        Index("ix_deliveries_instance_status", "instance_id", "status"),
        Index("ix_deliveries_instance_host", "instance_id", "host"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(500))
    inbox: Mapped[str] = mapped_column(String(500))
    host: Mapped[str] = mapped_column(String(253))
    # Whose key signs it: ``instance`` or ``m<member id>`` (as ActorKey.owner).
    signer: Mapped[str] = mapped_column(String(24))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ServerHealth(Base):
    """How deliveries to one remote server fare, for every instance (a fact about the remote,
    no tenant's data): days on which deliveries expired, and since when it is unavailable."""

    __tablename__ = "federation_server_health"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(253), unique=True)
    failure_days: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_day: Mapped[date | None]
    unavailable_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]


class RemoteActor(TenantScoped, Base):
    """A person on another server whom this instance has met (decision 47b): never a member,
    so no rule that reads members can take them for one."""

    __tablename__ = "remote_actors"
    __table_args__ = (UniqueConstraint("instance_id", "uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(500))
    inbox: Mapped[str] = mapped_column(String(500), default="")
    shared_inbox: Mapped[str | None] = mapped_column(String(500))
    handle: Mapped[str] = mapped_column(String(300), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    # Plain text, as fetched (their summary's HTML reduced to text), and their profile page.
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    # Their actor says they take introduction Offers (``pn:acceptsIntroductions``, a Maillon
    # server); otherwise an introduction reaches them as a direct message (decision 56b).
    accepts_introductions: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def server(self) -> str:
        """The server they are on (the host of their actor), shown next to their name."""
        return urlsplit(self.uri).netloc


class RemoteConnection(TenantScoped, Base):
    """A local member and a remote person; ``status`` follows
    ``lifecycle.REMOTE_CONNECTION``."""

    __tablename__ = "remote_connections"
    __table_args__ = (
        UniqueConstraint("instance_id", "member_id", "remote_actor_id"),
        REMOTE_CONNECTION.check_constraint(),
        Index("ix_remote_connections_member", "instance_id", "member_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    remote_actor_id: Mapped[int] = mapped_column(
        ForeignKey("remote_actors.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="requested")
    # Their Follow's id (its Undo names it), and ours back once accepted.
    follow_id: Mapped[str] = mapped_column(String(500), default="")
    our_follow_id: Mapped[str | None] = mapped_column(String(500))
    their_answer: Mapped[str | None] = mapped_column(String(10))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
