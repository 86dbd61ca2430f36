"""Hubs, their memberships, threads, posts and thread follows."""

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.hubs.lifecycle import MEMBERSHIP, POST, THREAD
from maillon.members.models import Member

#: open: anyone of the instance reads it and joins at once; request: only its members read
#: it, and hub moderators approve who joins.
HUB_VISIBILITIES = ("open", "request")
HUB_ROLES = ("member", "moderator")


def _values(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Hub(TenantScoped, Base):
    __tablename__ = "hubs"
    __table_args__ = (
        # Two hubs of one name would split a community: compared case- and space-folded.
        UniqueConstraint("instance_id", "name_key"),
        CheckConstraint(_values("visibility", HUB_VISIBILITIES), name="visibility_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(8), default="open")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept by the services as posts come and go, so lists need no count per row.
    member_count: Mapped[int] = mapped_column(default=0)
    thread_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)


class HubMembership(TenantScoped, Base):
    __tablename__ = "hub_memberships"
    __table_args__ = (
        UniqueConstraint("hub_id", "member_id"),
        CheckConstraint(_values("role", HUB_ROLES), name="role_values"),
        MEMBERSHIP.check_constraint(),
        Index("ix_hub_memberships_member", "instance_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12), default="member")
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()


class Thread(TenantScoped, Base):
    __tablename__ = "hub_threads"
    __table_args__ = (
        THREAD.check_constraint(),
        Index("ix_hub_threads_hub_activity", "hub_id", "status", "last_post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(12), default="published")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply_count: Mapped[int] = mapped_column(default=0)

    hub: Mapped[Hub] = relationship()
    author: Mapped[Member | None] = relationship()


class Post(TenantScoped, Base):
    """The opening post of a thread (``opening``) or a reply. ``client_key``: the form's (or
    the API's) one-time key, so a double submit finds the first post instead of adding one."""

    __tablename__ = "hub_posts"
    __table_args__ = (
        POST.check_constraint(),
        UniqueConstraint("instance_id", "author_id", "client_key"),
        Index("ix_hub_posts_thread", "thread_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("hub_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opening: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    # The members the text mentions, resolved when written: [{"id": 3, "handle": "ana.lima"}].
    mentions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="published")
    client_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    thread: Mapped[Thread] = relationship()
    author: Mapped[Member | None] = relationship()


class ThreadFollow(TenantScoped, Base):
    """A member following a thread (told of replies), or having stopped (``following``
    false: replying again does not follow them back against their choice)."""

    __tablename__ = "hub_thread_follows"
    __table_args__ = (UniqueConstraint("thread_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("hub_threads.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    following: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
