"""Ask your network: who receives a question, what the asker and the recipients learn,
answers, thanks, the quota; suspended members receive nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.moderation import sanctions
from maillon.notifications.models import Notification
from maillon.questions import services
from maillon.questions.models import QuestionRecipient
from tests.hubs.conftest import HubWorld

ASK = {"text": "Who knows a good lab for flow cytometry in Lyon?", "reach": "connections"}


@pytest.fixture
def world(app, create_member):
    return HubWorld(app, create_member)


@pytest.fixture
def net(world):
    """asker - c1, c2 (connections); c1 - far1, far2; c2 - far2; c2 - gone (suspended later)."""
    names = ("Asker", "Cara One", "Carl Two", "Far One", "Far Two", "Gone")
    asker, c1, c2, far1, far2, gone = (world.member(n) for n in names)
    for a, b in ((asker, c1), (asker, c2), (c1, far1), (c1, far2), (c2, far2), (c2, gone)):
        world.connect(a, b)
    return asker, c1, c2, far1, far2, gone


def _recipients(world, question_id):
    with world.app.app_context():
        return {r.member_id: r.degree for r in db.session.scalars(select(QuestionRecipient)
                .where(QuestionRecipient.question_id == question_id))}


def _notes(world, member_id, kind):
    with world.app.app_context():
        return list(db.session.scalars(select(Notification).where(
            Notification.member_id == member_id, Notification.kind == kind)))


def test_connections_receive_and_the_extended_reach_adds_second_degree(world, net):
    asker, c1, c2, far1, far2, gone = net
    question, count = world.call(services.ask_question, asker, ASK)
    assert count == 2 and _recipients(world, question.id) == {c1: 1, c2: 1}
    assert len(_notes(world, c1, "question_asked")) == 1
    assert _notes(world, far1, "question_asked") == []
    wider, count = world.call(services.ask_question, asker, dict(ASK, reach="extended"))
    assert count == 2  # the asker is told about their connections only
    assert _recipients(world, wider.id) == {c1: 1, c2: 1, far1: 2, far2: 2, gone: 2}


def test_the_extended_reach_is_bounded_strongest_ties_first(world, net, monkeypatch):
    asker, c1, c2, far1, far2, gone = net
    monkeypatch.setattr(services, "MAX_EXTENDED", 1)
    question, _ = world.call(services.ask_question, asker, dict(ASK, reach="extended"))
    # far2 shares two connections with the asker (c1 and c2), the others one.
    assert _recipients(world, question.id) == {c1: 1, c2: 1, far2: 2}


def test_suspended_members_receive_nothing(world, net):
    asker, c1, c2, far1, far2, gone = net
    staff = world.member("Mo", role="moderator")
    world.call(sanctions.impose_sanction, staff, gone, "suspend", reason="Spam, repeatedly.")
    world.call(sanctions.impose_sanction, staff, c2, "suspend", reason="Spam, repeatedly.")
    question, count = world.call(services.ask_question, asker, dict(ASK, reach="extended"))
    assert count == 1 and _recipients(world, question.id) == {c1: 1, far1: 2, far2: 2}


def test_a_limited_member_cannot_ask(world, net):
    asker, *_ = net
    staff = world.member("Mo", role="moderator")
    world.call(sanctions.impose_sanction, staff, asker, "limit", reason="Too many requests.")
    with pytest.raises(Forbidden) as refused:
        world.call(services.ask_question, asker, ASK)
    assert refused.value.code == "account_limited"


def test_only_the_asker_reads_the_answers_and_nobody_else_sees_the_question(world, net):
    asker, c1, c2, far1, _far2, _gone = net
    outsider = world.member("Outsider")
    question, _ = world.call(services.ask_question, asker, dict(ASK, reach="extended"))
    world.call(services.answer_question, c1, question.id, {"text": "The Bron lab."})
    world.call(services.answer_question, far1, question.id, {"text": "Ask Dr. Roux."})
    mine = world.call(services.access_question, asker, question.id)
    assert [a.author_id for a in mine.answers] == [c1, far1] and mine.first_degree_count == 2
    theirs = world.call(services.access_question, c2, question.id)
    assert theirs.answers == [] and theirs.first_degree_count is None
    own = world.call(services.access_question, c1, question.id)
    assert [a.author_id for a in own.answers] == [c1]
    with pytest.raises(NotFound):
        world.call(services.access_question, outsider, question.id)
    with pytest.raises(NotFound):
        world.call(services.answer_question, outsider, question.id, {"text": "Me!"})
    assert len(_notes(world, asker, "question_answered")) == 2


def test_answering_again_changes_the_answer_and_thanks_are_told_once(world, net):
    asker, c1, *_ = net
    question, _ = world.call(services.ask_question, asker, ASK)
    first, new = world.call(services.answer_question, c1, question.id, {"text": "Bron."})
    again, new_again = world.call(services.answer_question, c1, question.id,
                                  {"text": "Bron, building B."})
    assert new and not new_again and again.id == first.id and again.text == "Bron, building B."
    assert len(_notes(world, asker, "question_answered")) == 1
    with pytest.raises(NotFound):  # only the asker thanks
        world.call(services.thank_answer, c1, first.id)
    world.call(services.thank_answer, asker, first.id)
    world.call(services.thank_answer, asker, first.id)
    assert len(_notes(world, c1, "answer_thanked")) == 1
    with pytest.raises(Forbidden):
        world.call(services.answer_question, asker, question.id, {"text": "Self"})
    world.call(services.close_question, asker, question.id)
    with pytest.raises(Conflict):
        world.call(services.answer_question, c1, question.id, {"text": "Late"})


def test_quota_and_nobody_to_ask(world, net):
    asker, *_ = net
    lonely = world.member("Lonely")
    with pytest.raises(Conflict) as nobody:
        world.call(services.ask_question, lonely, ASK)
    assert nobody.value.code == "no_recipients"
    for _n in range(services.WEEKLY_LIMIT):
        world.call(services.ask_question, asker, ASK)
    with pytest.raises(ServiceError) as limited:
        world.call(services.ask_question, asker, ASK)
    assert limited.value.code == "question_limit_reached" and limited.value.status == 429
    with pytest.raises(ServiceError):
        world.call(services.ask_question, asker, {"text": "Short?"})
