"""Shared helpers of the privacy attacks: a small community, tokens, pages, rating changes."""

from __future__ import annotations

from typing import Any

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.network import services as network
from tests.introductions.world import MESSAGE, World

__all__ = ["MESSAGE", "World", "bearer", "rate", "members_named"]


def bearer(world: World, member_id: int) -> dict[str, str]:
    """An API token header of a member (issued by the accounts service)."""
    with world.app.app_context():
        return {"Authorization": f"Bearer {issue_api_token(db.session, world.get(member_id))}"}


def rate(world: World, rater: int, other: int, value: int) -> None:
    """``rater`` privately sets their rating of the connection with ``other``."""
    row = world.run(network.find_connection_between, rater, other)
    world.call(network.set_trust, rater, row.id, value)


def members_named(world: World, *names: str, **profile: Any) -> list[int]:
    """Members with these names and English pages (the tests read the words)."""
    return [world.member(name, locale="en", **profile) for name in names]
