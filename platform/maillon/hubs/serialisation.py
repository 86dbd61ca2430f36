"""Hubs, threads and posts as the API shows them."""

from __future__ import annotations

from typing import Any

from maillon.hubs.lifecycle import PUBLISHED
from maillon.hubs.models import Hub, HubMembership, Post, Thread
from maillon.members.models import Member


def _person(member: Member | None) -> dict[str, Any] | None:
    return {"id": member.id, "name": member.name} if member is not None else None


def membership_value(membership: HubMembership | None) -> dict[str, Any] | None:
    if membership is None:
        return None
    return {"status": membership.status, "role": membership.role}


def hub_dict(hub: Hub, membership: HubMembership | None) -> dict[str, Any]:
    return {"id": hub.id, "name": hub.name, "description": hub.description,
            "visibility": hub.visibility, "member_count": hub.member_count,
            "thread_count": hub.thread_count, "created_at": hub.created_at.isoformat(),
            "last_activity_at": hub.last_activity_at.isoformat(),
            "membership": membership_value(membership)}


def thread_dict(thread: Thread) -> dict[str, Any]:
    return {"id": thread.id, "hub_id": thread.hub_id, "title": thread.title,
            "author": _person(thread.author), "reply_count": thread.reply_count,
            "created_at": thread.created_at.isoformat(),
            "last_post_at": thread.last_post_at.isoformat()}


def post_dict(post: Post) -> dict[str, Any]:
    """A deleted or removed post keeps its place and status, never its text."""
    published = post.status == PUBLISHED
    return {"id": post.id, "thread_id": post.thread_id, "author": _person(post.author),
            "opening": post.opening, "status": post.status,
            "text": post.text if published else "",
            "mentions": [int(m["id"]) for m in post.mentions or []] if published else [],
            "created_at": post.created_at.isoformat(),
            "edited_at": post.edited_at.isoformat() if post.edited_at else None}
