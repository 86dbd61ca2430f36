"""Each demo community has hubs (open and by request) with threads, replies and mentions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from maillon.db import db
from maillon.demo.services import load_demo
from maillon.hubs.models import Hub, Post, Thread
from maillon.notifications.models import Notification


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_demo_has_hubs_threads_and_a_mention(instances, slug):
    instance = instances[slug]
    load_demo(db.session, instance, members=40, seed=3)
    hubs = list(db.session.scalars(select(Hub).where(Hub.instance_id == instance.id)))
    assert len(hubs) >= 2 and {h.visibility for h in hubs} == {"open", "request"}
    assert all(h.member_count == 8 for h in hubs)
    replies = db.session.scalar(select(func.count(Post.id)).where(
        Post.instance_id == instance.id, Post.opening.is_(False)))
    assert replies and replies >= 4
    mentioned = [p for p in db.session.scalars(select(Post).where(
        Post.instance_id == instance.id)) if p.mentions]
    assert mentioned
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.instance_id == instance.id, Notification.kind == "hub_mention"))
    if slug == "academia":
        assert {h.name for h in hubs} >= {"E-learning", "Cytologie", "Communication et médias"}
    threads = db.session.scalar(select(func.count(Thread.id)).where(
        Thread.instance_id == instance.id))
    load_demo(db.session, instance, members=40, seed=3)  # loading again adds nothing
    assert db.session.scalar(select(func.count(Thread.id)).where(
        Thread.instance_id == instance.id)) == threads


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_demo_has_questions_with_answers_and_a_thank_you(instances, slug):
    from maillon.questions.models import Answer, Question

    instance = instances[slug]
    load_demo(db.session, instance, members=40, seed=3)
    questions = list(db.session.scalars(select(Question).where(
        Question.instance_id == instance.id)))
    assert len(questions) == 2 and {q.reach for q in questions} == {"connections", "extended"}
    answers = list(db.session.scalars(select(Answer).where(Answer.instance_id == instance.id)))
    assert len(answers) >= 3 and any(a.thanked_at for a in answers)
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.instance_id == instance.id, Notification.kind == "answer_thanked"))


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_demo_has_an_opportunity_relayed_with_an_interested_answer(instances, slug):
    from maillon.opportunities.models import Opportunity, ReferralRequest, Relay

    instance = instances[slug]
    load_demo(db.session, instance, members=60, seed=3)
    rows = list(db.session.scalars(select(Opportunity).where(
        Opportunity.instance_id == instance.id).order_by(Opportunity.id)))
    assert [o.kind for o in rows] == [{"acme": "job", "academia": "call",
                                       "reseau": "partnership"}[slug], "purchase"]
    assert rows[0].organisation_id is not None and rows[0].skills
    relays = list(db.session.scalars(select(Relay).where(Relay.opportunity_id == rows[0].id)))
    assert len({r.ambassador_id for r in relays}) == 3
    assert {r.answer for r in relays} >= {"interested", "not_now"}
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.instance_id == instance.id,
        Notification.kind == "opportunity_interested")) == 1
    assert db.session.scalar(select(func.count(ReferralRequest.id)).where(
        ReferralRequest.instance_id == instance.id)) == 1
    load_demo(db.session, instance, members=60, seed=3)  # loading again adds nothing
    assert db.session.scalar(select(func.count(Opportunity.id)).where(
        Opportunity.instance_id == instance.id)) == 2
