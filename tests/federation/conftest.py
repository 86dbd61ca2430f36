"""Federation test helpers: an instance's policy set through the service, members opted in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.federation import membership, policy
from maillon.members.models import Member
from maillon.tenancy.models import Instance


def instance_row(slug: str) -> Instance:
    row = db.session.scalar(select(Instance).where(Instance.slug == slug))
    assert row is not None
    return row


def member_row(member_id: int) -> Member:
    row = db.session.scalar(select(Member).where(Member.id == member_id))
    assert row is not None
    return row


@pytest.fixture
def federate(app: Flask, create_member: Callable[..., Member]) -> Callable[..., None]:
    """Set an instance's policy as its admin would (``servers``: rule dicts)."""

    def set_policy(slug: str, mode: str = "blocklist", **change: Any) -> None:
        admin = create_member(slug, role="admin", name=f"Admin {slug}")
        with app.app_context():
            policy.change_policy(
                db.session, instance_row(slug), member_row(admin.id), {"mode": mode, **change}
            )

    return set_policy


@pytest.fixture
def opt_in(app: Flask) -> Callable[..., str]:
    """A member opts in (and, by keyword, into discovery); returns their handle."""

    def choose(member: Member, **choices: bool) -> str:
        with app.app_context():
            slug = db.session.scalar(select(Instance.slug).where(Instance.id == member.instance_id))
            assert slug is not None
            state = membership.change_member_federation(
                db.session, instance_row(slug), member_row(member.id), {"enabled": True, **choices}
            )
            assert state.handle is not None
            return state.handle

    return choose
