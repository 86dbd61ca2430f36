"""A small hub world: members of reseau and helpers calling the hub services as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.network import services as network
from maillon.tenancy.models import Instance


class HubWorld:
    def __init__(self, app: Flask, create_member: Callable[..., Member], slug: str = "reseau"):
        self.app, self.create_member, self.slug = app, create_member, slug

    def instance(self) -> Instance:
        row = db.session.scalar(select(Instance).where(Instance.slug == self.slug))
        assert row is not None
        return row

    def get(self, member_id: int) -> Member:
        member = db.session.scalar(select(Member).where(Member.id == member_id))
        assert member is not None
        return member

    def member(self, name: str, **kwargs: Any) -> int:
        return self.create_member(self.slug, name=name, **kwargs).id

    def call(self, service: Callable[..., Any], actor: int, *args: Any, **kwargs: Any) -> Any:
        """``service(session, instance, actor, *args)`` in a fresh app context."""
        with self.app.app_context():
            result = service(db.session, self.instance(), self.get(actor), *args, **kwargs)
            db.session.commit()
            return result

    def connect(self, a: int, b: int) -> None:
        row = self.call(network.request_connection, a, b)
        self.call(network.accept_connection, b, row.id)


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member]) -> HubWorld:
    return HubWorld(app, create_member)
