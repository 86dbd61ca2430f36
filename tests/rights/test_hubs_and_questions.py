"""Hub posts and questions in a member's data: in their export; erased with their account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.hubs import services as hubs
from maillon.hubs import threads
from maillon.hubs.models import Hub, Post, Thread
from maillon.questions import services as questions
from maillon.questions.models import Answer, Question
from maillon.rights import deletion, export
from tests.conftest import PASSWORD
from tests.introductions.world import World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


@pytest.fixture
def activity(world):
    """Ana opened a thread Bob replied to, and replied in Bob's; Ana asked Bob a question
    he answered; Bob asked Ana one she answered."""
    ana, bob = world.members("Ana", "Bob")
    world.connect(ana, bob)
    hub, _ = world.call(hubs.create_hub, bob, {"name": "Hub"})
    hers, _p, _ = world.call(threads.start_thread, ana, hub.id, {"title": "Hers",
                                                                 "text": "Ana's opening"})
    world.call(threads.reply, bob, hers.id, {"text": "Bob's reply"})
    his, _p, _ = world.call(threads.start_thread, bob, hub.id, {"title": "His",
                                                                "text": "Bob's opening"})
    world.call(threads.reply, ana, his.id, {"text": "Ana's reply"})
    asked, _ = world.call(questions.ask_question, ana, {"text": "Ana asks something?"})
    world.call(questions.answer_question, bob, asked.id, {"text": "Bob answers Ana"})
    other, _ = world.call(questions.ask_question, bob, {"text": "Bob asks something?"})
    world.call(questions.answer_question, ana, other.id, {"text": "Ana answers Bob"})
    return ana, bob, hub, hers, his


def test_the_export_holds_my_posts_memberships_questions_and_answers(world, activity):
    ana, _bob, _hub, _hers, _his = activity
    data = world.call(export.export_member_data, ana)
    assert [p["text"] for p in data["hubs"]["posts"]] == ["Ana's reply", "Ana's opening"]
    assert data["hubs"]["memberships"][0]["hub"]["name"] == "Hub"
    [asked] = data["questions"]["asked"]
    assert asked["text"] == "Ana asks something?"
    assert [a["text"] for a in asked["answers"]] == ["Bob answers Ana"]
    assert [a["text"] for a in data["questions"]["answers"]] == ["Ana answers Bob"]


def test_deleting_my_account_erases_my_posts_questions_and_answers(world, activity, app):
    ana, bob, hub, hers, his = activity
    world.call(deletion.delete_own_account, ana, password=PASSWORD)
    with app.app_context():
        texts = {p.text for p in db.session.scalars(select(Post))}
        assert texts == {"", "Bob's reply", "Bob's opening"}
        assert db.session.get(Thread, hers.id).status == "deleted"
        assert db.session.get(Thread, his.id).status == "published"
        assert db.session.get(Thread, his.id).reply_count == 0
        assert db.session.get(Hub, hub.id).thread_count == 1
        assert [q.text for q in db.session.scalars(select(Question))] == ["Bob asks something?"]
        assert {a.text for a in db.session.scalars(select(Answer))} == {""}
