"""A community whose lists can grow from 2 to 20 rows, for the query-budget tests.

Each ``grow_*`` method brings one of the viewer's lists to a given length (people are created
with an experience, an education row, skills and a photo name, so a per-row lazy load of any
of them shows up as extra queries). Service calls run in their own app context, as requests
would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.introductions import services as introductions
from maillon.members.models import Education, Experience, Member
from maillon.network import endorsements, recommendations
from maillon.network.services import accept_connection, request_connection
from maillon.tenancy.models import Instance
from tests.querycount import QueryCounter

SMALL, LARGE = 2, 20

SLUG = "reseau"
TEXT = "A careful colleague who explains hard things simply and always delivers on time."
INTRO = "I would like to talk about your work on graph algorithms and what I can offer."


class Community:
    """The viewer (``me``) and the people around them."""

    def __init__(self, app: Flask, create_member: Callable[..., Member],
                 login: Callable[..., FlaskClient]) -> None:
        self.app, self.create_member, self._login = app, create_member, login
        self.me = self.person("Viewer", skills=["Python", "Graphs"])
        self.connections: list[int] = []
        self.received: list[int] = []
        self.sent: list[int] = []
        self.targets: list[int] = []
        self.hub: int | None = None
        self.far: int | None = None
        self.relays: list[int] = []
        self.endorsers: list[int] = []
        self.recommenders: list[int] = []
        self.recommended: list[int] = []
        self.askers: list[int] = []
        self.senders: list[int] = []
        self._clients: dict[int, FlaskClient] = {}
        self._tokens: dict[int, str] = {}

    # --- access ---------------------------------------------------------------------------

    def client(self, member_id: int | None = None) -> FlaskClient:
        """A logged-in browser of a member (the viewer by default)."""
        member_id = member_id or self.me
        if member_id not in self._clients:
            self._clients[member_id] = self._login(self.get(member_id), SLUG)
        return self._clients[member_id]

    def headers(self, member_id: int | None = None) -> dict[str, str]:
        """Bearer headers of a member's API token (the viewer's by default)."""
        member_id = member_id or self.me
        if member_id not in self._tokens:
            with self.app.app_context():
                self._tokens[member_id] = issue_api_token(db.session, self.get(member_id))
        return {"Authorization": f"Bearer {self._tokens[member_id]}"}

    def api(self, path: str, member_id: int | None = None) -> Callable[[], Any]:
        """A GET of the API as a member, to measure."""
        return lambda: self.client(member_id).get(f"/api/v1{path}",
                                                  headers=self.headers(member_id))

    def page(self, path: str, member_id: int | None = None) -> Callable[[], Any]:
        """A GET of a page as a member, to measure."""
        return lambda: self.client(member_id).get(path)

    def instance(self) -> Instance:
        row = db.session.scalar(select(Instance).where(Instance.slug == SLUG))
        assert row is not None
        return row

    def get(self, member_id: int) -> Member:
        """The member row, detached (for logging in and issuing a token)."""
        with self.app.app_context():
            row = db.session.get(Member, member_id)
            assert row is not None
            db.session.expunge(row)
            return row

    def call(self, fn: Callable[..., Any], actor: int, *args: Any, **kwargs: Any) -> Any:
        """``fn(session, instance, actor, *args, **kwargs)`` in a fresh app context."""
        with self.app.app_context():
            return fn(db.session, self.instance(), db.session.get(Member, actor), *args,
                      **kwargs)

    def set_policy(self, **overrides: Any) -> None:
        with self.app.app_context():
            instance = self.instance()
            instance.overrides = {**instance.overrides, **overrides}
            db.session.commit()

    # --- people ---------------------------------------------------------------------------

    def person(self, name: str | None = None, **profile: Any) -> int:
        """A member with a full profile: experience, education, skills, photo name."""
        member = self.create_member(SLUG, name=name, headline="Graph engineer",
                                    position="Engineer", organisation="Acme",
                                    location="Lyon", skills=profile.pop("skills", ["Python"]),
                                    photo="0" * 32 + ".jpg", **profile)
        with self.app.app_context():
            instance = self.instance()
            db.session.add(Experience(instance_id=instance.id, member_id=member.id,
                                      title="Engineer", organisation="Acme",
                                      start_date=date(2020, 1, 1)))
            db.session.add(Education(instance_id=instance.id, member_id=member.id,
                                     school="Université de Lyon", start_year=2010))
            db.session.commit()
        return member.id

    def connect(self, a: int, b: int) -> None:
        row = self.call(request_connection, a, b)
        self.call(accept_connection, b, row.id)

    # --- lists ----------------------------------------------------------------------------
    # Each list is made of its own people, so that a row's member is never already in the
    # session because another list loaded it (which would hide a per-row query).

    def _fresh(self, bucket: list[int], n: int) -> list[int]:
        """Grow ``bucket`` to ``n`` new connections of the viewer; returns the added ones."""
        added = []
        while len(bucket) < n:
            other = self.person()
            self.connect(self.me, other)
            bucket.append(other)
            added.append(other)
        return added

    def grow_connections(self, n: int) -> list[int]:
        """The viewer's connections (each one accepted the viewer's invitation)."""
        self._fresh(self.connections, n)
        return self.connections

    def grow_received(self, n: int) -> None:
        """Invitations the viewer received and has not answered."""
        while len(self.received) < n:
            other = self.person()
            self.call(request_connection, other, self.me, "We met in Lyon")
            self.received.append(other)

    def grow_sent(self, n: int) -> None:
        """Invitations the viewer sent that wait for an answer."""
        while len(self.sent) < n:
            other = self.person()
            self.call(request_connection, self.me, other)
            self.sent.append(other)

    def grow_endorsements(self, n: int) -> None:
        """``n`` connections endorsing the viewer's first skill."""
        for other in self._fresh(self.endorsers, n):
            self.call(endorsements.endorse_skill, other, self.me, "Python")

    def grow_recommendations(self, n: int) -> None:
        """``n`` connections recommending the viewer (approved)."""
        for other in self._fresh(self.recommenders, n):
            row, _ = self.call(recommendations.write_recommendation, other, self.me,
                               relationship="same_team", text=TEXT)
            self.call(recommendations.approve_recommendation, self.me, row.id)

    def grow_written(self, n: int) -> None:
        """``n`` connections the viewer recommended."""
        for other in self._fresh(self.recommended, n):
            self.call(recommendations.write_recommendation, self.me, other,
                      relationship="same_team", text=TEXT)

    def grow_asks(self, n: int) -> None:
        """``n`` connections asking the viewer for a recommendation."""
        for other in self._fresh(self.askers, n):
            self.call(recommendations.request_recommendation, other, self.me)

    def grow_introductions(self, n: int) -> None:
        """``n`` requests of the viewer travelling through a relay to second-degree members."""
        self.set_policy(**{"quotas.pending_introductions": 100,
                           "introductions.chain_visibility": "full"})
        if self.hub is None:
            self.hub = self.person("Hub Relay")
            self.connect(self.me, self.hub)
        while len(self.targets) < n:
            target = self.person()
            self.connect(self.hub, target)
            self.call(introductions.request_introduction, self.me, target, message=INTRO,
                      purpose="advice")
            self.targets.append(target)

    def grow_relays(self, n: int) -> None:
        """``n`` connections of the viewer who all know ``far``: ``n`` chains to ``far``."""
        if self.far is None:
            self.far = self.person("Far Away")
        for relay in self._fresh(self.relays, n):
            self.connect(relay, self.far)

    def grow_messages(self, n: int) -> None:
        """``n`` direct messages from connections to the viewer."""
        for sender in self._fresh(self.senders, n):
            self.call(introductions.send_direct_message, sender, self.me, "Hello there")


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member],
          login: Callable[..., FlaskClient]) -> Community:
    """A viewer whose lists the test grows (import it with ``query_counter``)."""
    return Community(app, create_member, login)


def api_rows(response: Any) -> int:
    """How many results an API list answered."""
    return len(response.get_json()["results"])


def marked_rows(marker: str) -> Callable[[Any], int]:
    """How many times a page shows ``marker`` (one per row of its list)."""
    return lambda response: response.get_data(as_text=True).count(marker)


def assert_constant_list(counter: QueryCounter, grow: Callable[[int], object],
                         request: Callable[[], Callable[[], Any]], rows: Callable[[Any], int],
                         budget: int, sizes: tuple[int, int] = (SMALL, LARGE)) -> None:
    """The request costs as many queries with 2 rows in its list as with 20, within budget.

    ``request`` is called after each growth, so it may name what the growth created;
    ``rows`` counts the rows of an answer, to check the list really has 2, then 20.
    """
    logs = []
    for size in sizes:
        grow(size)
        logs.append(counter.measure(request()))
        assert rows(logs[-1].response) == size, (rows(logs[-1].response), size)
    counter.assert_constant(*logs, budget=budget)
