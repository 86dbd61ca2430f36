"""Query budgets of the member pages: the directory costs the same for 2 members as for 20,
and a profile the same for 2 endorsers and recommendations as for 20; ``profile_dicts`` and
the query counter themselves."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from maillon.db import db
from maillon.members.models import Member
from maillon.members.serialisation import profile_dict, profile_dicts
from tests import query_world, querycount
from tests.query_world import LARGE, assert_constant_list, marked_rows
from tests.querycount import assert_database_query_count, count_queries

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


def test_directory(world, query_counter):
    def others(response: Any) -> int:
        return marked_rows('class="card member-card"')(response) - 1  # the viewer is listed

    assert_constant_list(query_counter, world.grow_connections, lambda: world.page("/members"),
                         others, budget=10)


def test_profile_page(world, query_counter):
    """A profile: its endorsers and recommendations are lists too."""
    def grow(n: int) -> None:
        world.grow_endorsements(n)
        world.grow_recommendations(n)

    assert_constant_list(query_counter, grow, lambda: world.page(f"/members/{world.me}"),
                         marked_rows('<figure class="recommendation"'), budget=14)


def test_someone_elses_profile_page(world, query_counter):
    """Seen by a connection, with the connect panel, shared connections and endorse buttons."""
    def grow(n: int) -> None:
        world.grow_endorsements(n)
        world.grow_recommendations(n)

    world.grow_connections(1)
    assert_constant_list(query_counter, grow, lambda: world.page(
        f"/members/{world.me}", world.connections[0]), marked_rows(
        '<figure class="recommendation"'), budget=21)


def test_profile_dicts_reads_a_whole_list_at_once(world, app):
    """Twenty profiles: two lazy loads each without ``load_profiles``, three queries with it,
    and the same answers."""
    people = [world.person() for _ in range(LARGE)]
    engine = app.extensions["maillon.engine"]
    query = select(Member).where(Member.id.in_(people)).order_by(Member.id)
    with app.app_context():
        members = list(db.session.scalars(query))
        with count_queries(engine) as one_by_one:
            expected = [profile_dict(m, None) for m in members]
    with app.app_context():
        members = list(db.session.scalars(query))
        with assert_database_query_count(engine, 3):
            assert profile_dicts(db.session, members, None) == expected
    assert one_by_one.count == 2 * LARGE
    assert all(p["experiences"] and p["education"] for p in expected)


def test_the_counter_fails_over_budget_and_lists_the_statements(app):
    engine = app.extensions["maillon.engine"]
    with app.app_context(), pytest.raises(pytest.fail.Exception) as failure, \
            assert_database_query_count(engine, 1):
        db.session.execute(text("SELECT 1"))
        db.session.execute(text("SELECT 2"))
    assert "2 queries, over the budget of 1" in str(failure.value)
    assert "SELECT 2" in str(failure.value)
    with app.app_context(), count_queries(engine) as log:
        db.session.execute(text("SELECT 1"))
        db.session.commit()
    assert log.statements == ["SELECT 1"]  # BEGIN and COMMIT are not counted


def test_profile_dict_reads_what_the_session_has_not_written_yet(world, app):
    """``profile_dict`` reads the sections as plain rows on the session's connection; an
    experience added in the same transaction (not yet flushed) is there, as the ORM's own
    query would have seen it after its autoflush."""
    from datetime import date

    from maillon.members.models import Experience

    person = world.person()
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.id == person))
        assert member is not None
        db.session.add(Experience(instance_id=member.instance_id, member_id=member.id,
                                  title="Pending title", start_date=date(2031, 1, 1)))
        titles = [e["title"] for e in profile_dict(member, None)["experiences"]]
        db.session.rollback()
    assert titles[0] == "Pending title"  # the newest start first, as the profile orders them
