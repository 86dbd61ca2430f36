"""Hubs: who creates, joins, reads and moderates; threads, replies, mentions, follows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.hubs import services, threads
from maillon.hubs.models import Hub, Post
from maillon.moderation.models import AuditEntry
from maillon.notifications.models import Notification

OPEN = {"name": "E-learning", "description": "Courses online.", "visibility": "open"}
CLOSED = {"name": "Cytology", "description": "Cells.", "visibility": "request"}
THREAD = {"title": "Moodle or not?", "text": "Which platform do you use?"}


def _notes(member_id: int, kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.member_id == member_id, Notification.kind == kind)))


@pytest.fixture
def people(world):
    ana = world.member("Ana Lima")
    bob = world.member("Bob Martin")
    eve = world.member("Ève Durand")
    return ana, bob, eve


def test_creator_moderates_and_a_name_is_unique_per_instance(world, people, instances):
    ana, bob, _eve = people
    hub, created = world.call(services.create_hub, ana, OPEN)
    again, created_again = world.call(services.create_hub, ana, dict(OPEN, name=" e-LEARNING "))
    assert created and not created_again and again.id == hub.id  # a double click replays
    with pytest.raises(Conflict) as taken:
        world.call(services.create_hub, bob, dict(OPEN, name="E-Learning"))
    assert taken.value.code == "hub_name_taken"
    access = world.call(services.access_hub, ana, hub.id)
    assert access.is_hub_moderator and access.can_moderate
    assert not world.call(services.access_hub, bob, hub.id).can_moderate


def test_hub_creation_is_limited_per_member_but_not_for_staff(world, people):
    ana, _bob, _eve = people
    for n in range(services.CREATION_LIMIT):
        world.call(services.create_hub, ana, dict(OPEN, name=f"Hub {n}"))
    with pytest.raises(ServiceError) as limited:
        world.call(services.create_hub, ana, dict(OPEN, name="One more"))
    assert limited.value.code == "hub_limit_reached" and limited.value.status == 429
    staff = world.member("Mo Staff", role="moderator")
    for n in range(services.CREATION_LIMIT + 1):
        world.call(services.create_hub, staff, dict(OPEN, name=f"Staff hub {n}"))


def test_open_hub_is_read_by_all_and_joined_at_once(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, _post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    total, rows = world.call(threads.list_threads, bob, hub.id)
    assert total == 1 and rows[0].id == thread.id
    membership, created = world.call(services.join_hub, bob, hub.id)
    assert created and membership.status == "active"
    assert world.call(services.access_hub, bob, hub.id).is_member


def test_request_hub_hides_its_threads_until_approved(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, CLOSED)
    thread, post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    with pytest.raises(Forbidden) as refused:
        world.call(threads.list_threads, bob, hub.id)
    assert refused.value.code == "hub_members_only"
    with pytest.raises(NotFound):
        world.call(threads.access_thread, bob, thread.id)
    with pytest.raises(NotFound):
        world.call(threads.access_post, bob, post.id)
    with pytest.raises(Forbidden):  # nor can they write there
        world.call(threads.start_thread, bob, hub.id, dict(THREAD, title="Mine"))
    with pytest.raises(NotFound):
        world.call(threads.reply, bob, thread.id, {"text": "Let me in"})

    membership, _ = world.call(services.join_hub, bob, hub.id)
    assert membership.status == "pending"
    with world.app.app_context():
        assert [n.actor_id for n in _notes(ana, "hub_join_requested")] == [bob]
    with pytest.raises(NotFound):  # pending is not a member yet
        world.call(threads.access_thread, bob, thread.id)
    with pytest.raises(Forbidden):  # only moderators decide
        world.call(services.decide_request, bob, hub.id, bob, approve=True)
    world.call(services.decide_request, ana, hub.id, bob, approve=True)
    assert world.call(threads.access_thread, bob, thread.id).thread.id == thread.id
    with world.app.app_context():
        assert len(_notes(bob, "hub_join_approved")) == 1
        assert db.session.get(Hub, hub.id).member_count == 2


def test_staff_read_and_moderate_every_hub(world, people):
    ana, bob, _eve = people
    staff = world.member("Mo Staff", role="moderator")
    hub, _ = world.call(services.create_hub, ana, CLOSED)
    thread, _post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    world.call(services.join_hub, bob, hub.id)
    world.call(services.decide_request, ana, hub.id, bob, approve=True)
    reply, _ = world.call(threads.reply, bob, thread.id, {"text": "Spam spam"})
    assert world.call(threads.access_thread, staff, thread.id).access.can_moderate
    note, _ = world.call(threads.reply, staff, thread.id, {"text": "Please stay on topic."})
    assert not world.call(services.access_hub, staff, hub.id).is_member  # staff need not join
    world.call(threads.remove_post, staff, reply.id, "Spam.")
    with world.app.app_context():
        assert db.session.get(Post, reply.id).status == "removed"


def test_moderator_removal_is_audited_and_erases_the_text(world, people):
    ana, bob, eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, _post, _ = world.call(threads.start_thread, bob, hub.id, THREAD)
    reply, _ = world.call(threads.reply, eve, thread.id, {"text": "Buy my pills"})
    with pytest.raises(Forbidden):  # a plain member of the hub may not remove
        world.call(threads.remove_post, bob, reply.id, "I do not like it")
    world.call(threads.remove_post, ana, reply.id, "Advertising.")
    with world.app.app_context():
        row = db.session.get(Post, reply.id)
        assert row.status == "removed" and row.text == ""
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post_removed"))
        assert audit is not None and audit.actor_id == ana and audit.subject_member_id == eve
        assert audit.subject_id == reply.id and audit.reason == "Advertising."
    _seen, total, posts = world.call(threads.list_posts, bob, thread.id)
    assert total == 2 and posts[1].status == "removed"


def test_removing_the_opening_post_removes_the_thread(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, post, _ = world.call(threads.start_thread, bob, hub.id, THREAD)
    world.call(threads.remove_post, ana, post.id, "Off topic.")
    with pytest.raises(NotFound):
        world.call(threads.access_thread, bob, thread.id)
    assert world.call(threads.list_threads, bob, hub.id)[0] == 0


def test_author_edits_and_deletes_only_their_own_post(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, _post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    reply, _ = world.call(threads.reply, bob, thread.id, {"text": "Moodle."})
    with pytest.raises(Forbidden):
        world.call(threads.edit_post, ana, reply.id, {"text": "Changed by Ana"})
    with pytest.raises(Forbidden):
        world.call(threads.delete_post, ana, reply.id)
    edited = world.call(threads.edit_post, bob, reply.id, {"text": "Moodle, mostly."})
    assert edited.text == "Moodle, mostly." and edited.edited_at is not None
    world.call(threads.delete_post, bob, reply.id)
    with world.app.app_context():
        row = db.session.get(Post, reply.id)
        assert row.status == "deleted" and row.text == ""
    assert world.call(threads.access_thread, ana, thread.id).thread.reply_count == 0


def test_double_submit_makes_one_post(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, _p, first_new = world.call(threads.start_thread, ana, hub.id, THREAD,
                                       client_key="k1")
    again, _p2, second_new = world.call(threads.start_thread, ana, hub.id, THREAD,
                                        client_key="k1")
    assert first_new and not second_new and again.id == thread.id
    one, new = world.call(threads.reply, bob, thread.id, {"text": "Hi"}, client_key="r1")
    two, new_again = world.call(threads.reply, bob, thread.id, {"text": "Hi"}, client_key="r1")
    assert new and not new_again and one.id == two.id
    with world.app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 2


def test_mentions_notify_only_members_who_can_read_the_hub(world, people):
    ana, bob, eve = people
    hub, _ = world.call(services.create_hub, ana, CLOSED)
    world.call(services.join_hub, bob, hub.id)
    world.call(services.decide_request, ana, hub.id, bob, approve=True)
    world.connect(ana, eve)  # a contact of the author, but outside the hub
    _t, post, _ = world.call(threads.start_thread, ana, hub.id, dict(
        THREAD, text="@bob.martin and @eve.durand, what do you think?"))
    with world.app.app_context():
        assert len(_notes(bob, "hub_mention")) == 1
        assert _notes(eve, "hub_mention") == []
        assert [m["id"] for m in db.session.get(Post, post.id).mentions] == [bob]


def test_mention_in_an_open_hub_reaches_a_contact_and_an_ambiguous_handle_nobody(world,
                                                                                 people):
    ana, _bob, eve = people
    twin_a, twin_b = world.member("Sam Roy"), world.member("Sam Roy")
    hub, _ = world.call(services.create_hub, ana, OPEN)
    world.connect(ana, eve)
    world.call(services.join_hub, twin_a, hub.id)
    world.call(services.join_hub, twin_b, hub.id)
    world.call(threads.start_thread, ana, hub.id, dict(THREAD, text="@eve.durand @sam.roy"))
    with world.app.app_context():
        assert len(_notes(eve, "hub_mention")) == 1
        assert _notes(twin_a, "hub_mention") == [] and _notes(twin_b, "hub_mention") == []


def test_followers_are_told_of_replies_and_unfollowing_sticks(world, people):
    ana, bob, eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, _post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    world.call(threads.reply, bob, thread.id, {"text": "First reply"})
    with world.app.app_context():
        assert len(_notes(ana, "thread_reply")) == 1  # the author follows
    world.call(threads.reply, eve, thread.id, {"text": "Second reply"})
    with world.app.app_context():
        assert len(_notes(ana, "thread_reply")) == 2
        assert len(_notes(bob, "thread_reply")) == 1  # a replier follows
        assert _notes(eve, "thread_reply") == []  # never about one's own reply
    assert world.call(threads.follow_thread, bob, thread.id, following=False) is False
    world.call(threads.reply, bob, thread.id, {"text": "Replying does not re-follow"})
    world.call(threads.reply, eve, thread.id, {"text": "Third"})
    with world.app.app_context():
        assert len(_notes(bob, "thread_reply")) == 1
    assert not world.call(threads.is_following, bob, thread.id)


def test_a_mentioned_follower_is_told_once(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    thread, _post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    world.call(threads.reply, bob, thread.id, {"text": "@ana.lima look"})
    with world.app.app_context():
        assert len(_notes(ana, "hub_mention")) == 1 and _notes(ana, "thread_reply") == []


def test_leaving_a_request_hub_ends_reading_and_the_last_moderator_stays(world, people):
    ana, bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, CLOSED)
    thread, _post, _ = world.call(threads.start_thread, ana, hub.id, THREAD)
    world.call(services.join_hub, bob, hub.id)
    world.call(services.decide_request, ana, hub.id, bob, approve=True)
    with pytest.raises(Conflict):
        world.call(services.leave_hub, ana, hub.id)
    with pytest.raises(Conflict):
        world.call(services.set_hub_role, ana, hub.id, ana, "member")
    world.call(services.set_hub_role, ana, hub.id, bob, "moderator")
    assert world.call(services.leave_hub, ana, hub.id)
    with pytest.raises(NotFound):
        world.call(threads.access_thread, ana, thread.id)


def test_suspended_members_cannot_act(world, people):
    ana, _bob, _eve = people
    hub, _ = world.call(services.create_hub, ana, OPEN)
    gone = world.member("Gone", status="suspended")
    with pytest.raises(NotFound):
        world.call(services.access_hub, gone, hub.id)


def test_moderators_rename_describe_and_open_a_hub(world, people):
    ana, bob, eve = people
    hub, _ = world.call(services.create_hub, ana, CLOSED)
    world.call(services.create_hub, bob, OPEN)
    world.call(services.join_hub, bob, hub.id)  # waiting for approval
    changed = dict(CLOSED, name="Cytology and histology", description="Cells and tissues.")
    with pytest.raises(Forbidden):  # members and outsiders do not
        world.call(services.update_hub, eve, hub.id, changed)
    with pytest.raises(Conflict) as taken:  # another hub's name, whatever the case
        world.call(services.update_hub, ana, hub.id, dict(changed, name="e-LEARNING"))
    assert taken.value.code == "hub_name_taken"
    with pytest.raises(ServiceError) as bad:
        world.call(services.update_hub, ana, hub.id, dict(changed, name=" "))
    assert bad.value.code == "validation_failed"
    renamed = world.call(services.update_hub, ana, hub.id, changed)
    assert (renamed.name, renamed.description) == ("Cytology and histology", "Cells and tissues.")
    assert not world.call(services.access_hub, bob, hub.id).is_member  # still waiting
    # Opening it lets in who was waiting, told as an approval would.
    world.call(services.update_hub, ana, hub.id, dict(changed, visibility="open"))
    assert world.call(services.access_hub, bob, hub.id).is_member
    with world.app.app_context():
        assert len(_notes(bob, "hub_join_approved")) == 1
        assert db.session.get(Hub, hub.id).member_count == 2
    # Staff may too (a name that breaks the rules); the hub's own name again is no conflict.
    staff = world.member("Mo Staff", role="moderator")
    assert world.call(services.update_hub, staff, hub.id, dict(
        changed, name="CYTOLOGY and histology", visibility="open")).name == (
        "CYTOLOGY and histology")
