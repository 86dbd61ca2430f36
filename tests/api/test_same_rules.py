"""The API and the pages refuse the same inputs: each concept has one validation model
(decision 27), so a value at a boundary is accepted, or refused, through both.

Each case runs once per channel on a fresh community, and the outcome is read from what
happened (the request moved on, the message exists), not from the answer's wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from maillon.accounts.validation import MAX_EMAIL, MAX_NAME, MAX_PASSWORD, MIN_PASSWORD
from maillon.db import db
from maillon.introductions import services
from maillon.introductions.models import DirectMessage, IntroductionEvent
from maillon.introductions.validation import (
    MAX_DIRECT_MESSAGE,
    MAX_NOTE,
    MAX_TEXT,
    MESSAGE_MIN,
)
from maillon.members.models import Member
from maillon.members.validation import MAX_SKILL_LENGTH
from maillon.network.endorsement_models import Endorsement
from maillon.network.models import Connection
from maillon.network.recommendation_models import Recommendation, RecommendationRequest
from maillon.network.validation import (
    MAX_DETAIL,
    MAX_MESSAGE,
    MAX_REQUEST_MESSAGE,
    MIN_TEXT,
)
from maillon.network.validation import MAX_TEXT as MAX_RECOMMENDATION
from tests.api.conftest import bearer
from tests.introductions.world import MESSAGE, World

LONG_SKILL = "s" * MAX_SKILL_LENGTH
CONTROL = "Hello\x01 there, this has a control character in it."


@dataclass
class Community:
    """Ann – Bob – Cyd – Dee, each with a page client and an API token."""

    world: World
    ids: dict[str, int]
    pages: dict[str, Any]
    tokens: dict[str, dict[str, str]]

    def count(self, model: Any, *where: Any) -> int:
        with self.world.app.app_context():
            return int(db.session.scalar(select(func.count()).select_from(model).where(*where)))

    def events(self, intro_id: int, kind: str) -> int:
        return self.count(IntroductionEvent, IntroductionEvent.introduction_id == intro_id,
                          IntroductionEvent.kind == kind)


@pytest.fixture
def people(app, create_member, login, token_for, client_for) -> Community:
    world = World(app, create_member)
    names = ("ann", "bob", "cyd", "dee")
    ids = {name: world.member(name.title(), locale="en") for name in names}
    world.chain(*ids.values(), trust=4)
    world.update(ids["bob"], skills=["Graph algorithms", LONG_SKILL])
    world.update(ids["dee"], contact_policy={"direct": "anyone", "introductions": True,
                                             "purposes": ["advice"], "max_hops": 6})
    with app.app_context():
        members = {name: world.get(i) for name, i in ids.items()}
        for member in members.values():
            db.session.expunge(member)
    pages = {n: login(m) for n, m in members.items()}
    pages["visitor"] = client_for("reseau")
    return Community(world, ids, pages,
                     {n: bearer(token_for(m)) for n, m in members.items()})


def _api(c: Community, who: str, path: str, body: dict[str, Any]) -> bool:
    answer = c.pages[who].post(f"/api/v1{path}", json=body, headers=c.tokens[who])
    if answer.status_code == 422:
        assert answer.json["error"]["code"] == "validation_failed", answer.json
        return False
    assert answer.status_code in (200, 201), answer.json
    return True


def _page(c: Community, who: str, path: str, form: dict[str, Any]) -> int:
    return c.pages[who].post(path, data=form).status_code


def _relayed(c: Community) -> int:
    """A request from Ann to Dee, held by Bob."""
    return c.world.call(services.request_introduction, c.ids["ann"], c.ids["dee"],
                        message=MESSAGE, purpose="advice").id


def _delivered(c: Community) -> int:
    """A request from Cyd to Dee (connected: straight to the target)."""
    return c.world.call(services.request_introduction, c.ids["cyd"], c.ids["dee"],
                        message=MESSAGE, purpose="advice").id


def request(c: Community, channel: str, value: str) -> bool:
    dee = c.ids["dee"]
    if channel == "api":
        return _api(c, "ann", "/introductions",
                    {"target_id": dee, "purpose": "advice", "message": value})
    status = _page(c, "ann", f"/members/{dee}/introduce",
                   {"purpose": "advice", "message": value, "chain": "0"})
    assert status in (303, 422), status
    return status == 303


def _on_request(who: str, action: str, field: str, kind: str, accepted_first: bool = False):
    """``who`` (bob: the relay holding Ann's request; dee: the target of Cyd's) acts on a
    request; the outcome is whether the event ``kind`` was recorded."""
    def act(c: Community, channel: str, value: str) -> bool:
        intro = _relayed(c) if who == "bob" else _delivered(c)
        if accepted_first:
            c.world.call(services.accept_introduction, c.ids["dee"], intro)
        path = f"/introductions/{intro}/{action}"
        if channel == "api":
            took = _api(c, who, path, {field: value})
        else:
            _page(c, who, path, {field: value})
            took = None
        made = c.events(intro, kind) == 1
        assert took in (None, made)
        return made
    return act


def message(c: Community, channel: str, value: str) -> bool:
    dee = c.ids["dee"]
    if channel == "api":
        took = _api(c, "ann", "/messages", {"to_member_id": dee, "text": value})
    else:
        status = _page(c, "ann", f"/members/{dee}/message", {"text": value})
        assert status in (303, 422), status
        took = status == 303
    assert took == (c.count(DirectMessage, DirectMessage.recipient_id == dee) == 1)
    return took


def _to_bob(api_path: str, page_path: str, model: Any, field: str | None = None,
            **fixed: str):
    """Ann writes to Bob (connected) through ``api_path`` or ``page_path``; the outcome is
    whether a row of ``model`` by Ann now exists. ``field`` takes the value; ``fixed`` are the
    other fields (a value may also be a dict of several fields)."""
    def act(c: Community, channel: str, value: Any) -> bool:
        bob, ann = c.ids["bob"], c.ids["ann"]
        body = {**fixed, **(value if isinstance(value, dict) else {field: value})}
        if channel == "api":
            took = _api(c, "ann", api_path.format(bob=bob), body)
        else:
            _page(c, "ann", page_path.format(bob=bob), body)
            took = None
        author = {Endorsement: Endorsement.endorser_id, Recommendation: Recommendation.author_id,
                  RecommendationRequest: RecommendationRequest.requester_id}[model]
        made = c.count(model, author == ann) == 1
        assert took in (None, made)
        return made
    return act


def connect(c: Community, channel: str, value: str) -> bool:
    """Ann invites Cyd (two links away)."""
    cyd, ann = c.ids["cyd"], c.ids["ann"]
    if channel == "api":
        took = _api(c, "ann", "/connections", {"member_id": cyd, "message": value})
    else:
        _page(c, "ann", f"/members/{cyd}/connect", {"message": value})
        took = None
    made = c.count(Connection, Connection.requester_id == ann,
                   Connection.addressee_id == cyd) == 1
    assert took in (None, made)
    return made


def _recommendation(relationship: str, detail: str, text: str) -> dict[str, str]:
    return {"relationship": relationship, "relationship_detail": detail, "text": text}


TEXT = "x" * MIN_TEXT


def register(c: Community, channel: str, value: dict[str, str]) -> bool:
    """A visitor joins; the outcome is whether a member was made."""
    body = {"name": "Nina New", "email": "nina@example.org", "password": "long enough",
            **value}
    before = c.count(Member)
    client = c.pages["visitor"]
    if channel == "api":
        answer = client.post("/api/v1/members", json=body)
        assert answer.status_code in (201, 202, 422), answer.json
        took = answer.status_code != 422
    else:
        answer = client.post("/register", data=body)
        assert answer.status_code in (200, 302), answer.status_code
        took = None
    made = c.count(Member) == before + 1
    assert took in (None, made)
    return made


def _email(length: int) -> str:
    return "n" * (length - len("@example.org")) + "@example.org"


ACTIONS = {
    "request": request,
    "forward_note": _on_request("bob", "forward", "note", "forwarded"),
    "forward_vouch": _on_request("bob", "forward", "vouch", "forwarded"),
    "decline": _on_request("bob", "decline", "reason", "declined"),
    "advise": _on_request("bob", "advise", "advice", "advised"),
    "accept": _on_request("dee", "accept", "message", "accepted"),
    "reject": _on_request("dee", "reject", "message", "rejected"),
    "thank": _on_request("dee", "thank", "message", "thanked", accepted_first=True),
    "message": message,
    "connect": connect,
    "endorse": _to_bob("/members/{bob}/endorsements", "/members/{bob}/endorsements",
                       Endorsement, "skill"),
    "recommend": _to_bob("/members/{bob}/recommendations", "/members/{bob}/recommend",
                         Recommendation),
    "register": register,
    "ask": _to_bob("/members/{bob}/recommendation-requests", "/members/{bob}/ask-recommendation",
                   RecommendationRequest, "message"),
}

CASES = [
    ("request", "", False),
    ("request", "x" * (MESSAGE_MIN - 1), False),
    ("request", "x" * MESSAGE_MIN, True),
    ("request", "x" * MAX_TEXT, True),
    ("request", "x" * (MAX_TEXT + 1), False),
    ("request", CONTROL, False),
    ("forward_note", "", True),
    ("forward_note", "x" * MAX_NOTE, True),
    ("forward_note", "x" * (MAX_NOTE + 1), False),
    ("forward_vouch", "x" * MAX_NOTE, True),
    ("forward_vouch", "x" * (MAX_NOTE + 1), False),
    ("decline", "", True),
    ("decline", "x" * MAX_NOTE, True),
    ("decline", "x" * (MAX_NOTE + 1), False),
    ("advise", "   ", False),
    ("advise", "x", True),
    ("advise", "x" * MAX_TEXT, True),
    ("advise", "x" * (MAX_TEXT + 1), False),
    ("accept", "x" * MAX_TEXT, True),
    ("accept", "x" * (MAX_TEXT + 1), False),
    ("reject", "x" * (MAX_TEXT + 1), False),
    ("thank", "", False),
    ("thank", "x" * MAX_NOTE, True),
    ("thank", "x" * (MAX_NOTE + 1), False),
    ("message", "", False),
    ("message", "x" * MAX_DIRECT_MESSAGE, True),
    ("message", "x" * (MAX_DIRECT_MESSAGE + 1), False),
    ("connect", "", True),
    ("connect", "x" * MAX_MESSAGE, True),
    ("connect", "x" * (MAX_MESSAGE + 1), False),
    ("endorse", "", False),
    ("endorse", "  graph   ALGORITHMS ", True),
    ("endorse", LONG_SKILL, True),
    ("endorse", LONG_SKILL + "s", False),
    ("endorse", "Cooking", False),
    ("recommend", _recommendation("same_team", "", "x" * (MIN_TEXT - 1)), False),
    ("recommend", _recommendation("same_team", "", TEXT), True),
    ("recommend", _recommendation("same_team", "", "x" * MAX_RECOMMENDATION), True),
    ("recommend", _recommendation("same_team", "", "x" * (MAX_RECOMMENDATION + 1)), False),
    ("recommend", _recommendation("friends", "", TEXT), False),
    ("recommend", _recommendation("other", "", TEXT), False),
    ("recommend", _recommendation("other", "d" * MAX_DETAIL, TEXT), True),
    ("recommend", _recommendation("other", "d" * (MAX_DETAIL + 1), TEXT), False),
    ("recommend", _recommendation("same_team", "d" * (MAX_DETAIL + 1), TEXT), False),
    ("register", {"name": ""}, False),
    ("register", {"name": "n" * MAX_NAME}, True),
    ("register", {"name": "n" * (MAX_NAME + 1)}, False),
    ("register", {"email": "nina.example.org"}, False),
    ("register", {"email": "  Nina@Example.ORG "}, True),
    ("register", {"email": _email(MAX_EMAIL + 1)}, False),
    ("register", {"password": "p" * (MIN_PASSWORD - 1)}, False),
    ("register", {"password": "p" * MIN_PASSWORD}, True),
    ("register", {"password": "p" * MAX_PASSWORD}, True),
    ("register", {"password": "p" * (MAX_PASSWORD + 1)}, False),
    ("ask", "", True),
    ("ask", "x" * MAX_REQUEST_MESSAGE, True),
    ("ask", "x" * (MAX_REQUEST_MESSAGE + 1), False),
]


@pytest.mark.parametrize("channel", ["api", "page"])
@pytest.mark.parametrize(("action", "value", "accepted"), CASES,
                         ids=[f"{a}-{i}" for i, (a, _v, _ok) in enumerate(CASES)])
def test_the_api_and_the_page_take_the_same_values(people, channel, action, value, accepted):
    assert ACTIONS[action](people, channel, value) is accepted
