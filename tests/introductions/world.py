"""A small community to test introductions on: members, connections with given trust, and
service calls made as a member, each in its own app context (as a request would)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.network.services import accept_connection, request_connection, set_trust
from maillon.tenancy.models import Instance

MESSAGE = "I would like to talk about your work on graph algorithms and what I can offer."


class World:
    def __init__(self, app: Flask, create_member: Callable[..., Member], slug: str = "reseau"):
        self.app, self.create_member, self.slug = app, create_member, slug

    def member(self, name: str | None = None, **profile: Any) -> int:
        return self.create_member(self.slug, name=name, **profile).id

    def members(self, *names: str) -> list[int]:
        return [self.member(name) for name in names]

    def instance(self) -> Instance:
        row = db.session.scalar(select(Instance).where(Instance.slug == self.slug))
        assert row is not None
        return row

    def get(self, member_id: int) -> Member:
        row = db.session.scalar(select(Member).where(Member.id == member_id))
        assert row is not None
        return row

    def call(self, fn: Callable[..., Any], actor: int, *args: Any, **kwargs: Any) -> Any:
        """``fn(session, instance, actor, *args, **kwargs)`` in a fresh app context."""
        with self.app.app_context():
            return fn(db.session, self.instance(), self.get(actor), *args, **kwargs)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(session, instance, *args, **kwargs)`` in a fresh app context."""
        with self.app.app_context():
            return fn(db.session, self.instance(), *args, **kwargs)

    def connect(self, a: int, b: int, trust_ab: int = 3, trust_ba: int = 3) -> None:
        row = self.call(request_connection, a, b)
        self.call(accept_connection, b, row.id, trust=trust_ba)
        self.call(set_trust, a, row.id, trust_ab)

    def chain(self, *ids: int, trust: int = 3) -> None:
        for a, b in zip(ids, ids[1:], strict=False):
            self.connect(a, b, trust, trust)

    def set_policy(self, **overrides: Any) -> None:
        with self.app.app_context():
            instance = self.instance()
            instance.overrides = {**instance.overrides, **overrides}
            db.session.commit()

    def update(self, member_id: int, **fields: Any) -> None:
        with self.app.app_context():
            member = self.get(member_id)
            for key, value in fields.items():
                setattr(member, key, value)
            db.session.commit()
