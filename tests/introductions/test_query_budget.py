"""Query budgets of the introduction pages: the lists (sent, relaying, messages) cost the
same for 2 rows as for 20; one request's page stays within its budget."""

from __future__ import annotations

from maillon.db import db
from maillon.introductions.models import Introduction
from tests import query_world, querycount
from tests.query_world import assert_constant_list, marked_rows

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter

ITEM = 'class="card intro-item"'


def test_sent(world, query_counter):
    assert_constant_list(query_counter, world.grow_introductions, lambda: world.page(
        "/introductions?tab=sent"), marked_rows(ITEM), budget=12)


def test_relaying(world, query_counter):
    assert_constant_list(query_counter, world.grow_introductions, lambda: world.page(
        "/introductions?tab=relaying", world.hub), marked_rows(ITEM), budget=12)


def test_messages(world, query_counter):
    assert_constant_list(query_counter, world.grow_messages, lambda: world.page("/messages"),
                         marked_rows('class="card intro-item message-item"'), budget=10)


def test_one_request(world, query_counter):
    world.grow_introductions(1)
    with world.app.app_context():
        intro_id = db.session.query(Introduction.id).scalar()
    log = query_counter.measure(world.page(f"/introductions/{intro_id}", world.hub))
    assert "Hub Relay" in log.response.get_data(as_text=True)
    assert log.count <= 16, log.report()
