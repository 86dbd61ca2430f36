"""The introduction and hop lifecycle tables, and the database's CHECK on their status columns."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from maillon.db import db
from maillon.introductions import services
from maillon.introductions.lifecycle import (
    HOP,
    INTRODUCTION,
    OPEN_STATUSES,
    RETRYABLE_STATUSES,
)
from maillon.introductions.models import IntroductionHop
from maillon.lifecycle import IllegalTransition
from tests.introductions.world import MESSAGE, World

# Written out here rather than read from the table: the tests say what the product does.
INTRODUCTION_CHANGES = {
    ("in_progress", "in_progress"), ("in_progress", "delivered"), ("in_progress", "declined"),
    ("in_progress", "advised"), ("in_progress", "expired"), ("in_progress", "withdrawn"),
    ("in_progress", "blocked"),
    ("delivered", "accepted"), ("delivered", "rejected"), ("delivered", "withdrawn"),
    ("delivered", "blocked"),
    # An Offer to a person on another server left unanswered (decision 56).
    ("delivered", "expired"),
    # ... or stopped by someone on their side, when the chain continues there (decision 61).
    ("delivered", "declined"),
    ("declined", "in_progress"), ("declined", "delivered"), ("declined", "withdrawn"),
    ("expired", "in_progress"), ("expired", "delivered"), ("expired", "withdrawn"),
    # Held for review: approved (travels), blocked by a moderator, or withdrawn.
    ("held", "in_progress"), ("held", "delivered"), ("held", "blocked"), ("held", "withdrawn"),
}
HOP_CHANGES = {("holding", end) for end in ("forwarded", "rerouted", "declined", "advised",
                                             "expired", "released")}


def _pairs(lifecycle):
    return {(a, b) for a in lifecycle.states for b in lifecycle.states}


@pytest.mark.parametrize("change", sorted(INTRODUCTION_CHANGES))
def test_every_allowed_introduction_change_applies(change):
    intro = SimpleNamespace(id=1, status=change[0])
    INTRODUCTION.apply(intro, change[1])
    assert intro.status == change[1]


@pytest.mark.parametrize("change", sorted(HOP_CHANGES))
def test_every_allowed_hop_change_applies(change):
    hop = SimpleNamespace(id=1, status=change[0])
    HOP.apply(hop, change[1])
    assert hop.status == change[1]


@pytest.mark.parametrize(("lifecycle", "allowed"), [(INTRODUCTION, INTRODUCTION_CHANGES),
                                                    (HOP, HOP_CHANGES)])
def test_every_other_change_is_refused(lifecycle, allowed):
    for source, target in sorted(_pairs(lifecycle) - allowed):
        row = SimpleNamespace(id=1, status=source)
        with pytest.raises(IllegalTransition):
            lifecycle.apply(row, target)
        assert row.status == source


def test_a_closed_request_cannot_come_back():
    for final in ("accepted", "rejected", "advised", "withdrawn", "blocked"):
        assert INTRODUCTION.final(final)
    with pytest.raises(IllegalTransition, match="'accepted' cannot become 'declined'"):
        INTRODUCTION.apply(SimpleNamespace(id=3, status="accepted"), "declined")


def test_open_and_retryable_statuses():
    assert OPEN_STATUSES == ("in_progress", "delivered", "held")
    assert set(RETRYABLE_STATUSES) == {"declined", "expired"}


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def test_the_database_refuses_a_status_outside_the_tables(world):
    r, a, t = world.members("Requester", "Relay", "Target")
    world.chain(r, a, t)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")
    with world.app.app_context():
        hop_id = db.session.scalar(select(IntroductionHop.id).where(
            IntroductionHop.introduction_id == intro.id))
        for statement, row_id in (
                ("UPDATE introductions SET status = 'lost' WHERE id = :id", intro.id),
                ("UPDATE introduction_hops SET status = 'lost' WHERE id = :id", hop_id)):
            with pytest.raises(IntegrityError, match="(?i)check"):
                db.session.execute(text(statement), {"id": row_id})
            db.session.rollback()
        # A status of the table is accepted: the refusal above is the CHECK, not the statement.
        db.session.execute(text("UPDATE introductions SET status = 'blocked' WHERE id = :id"),
                           {"id": intro.id})
        db.session.rollback()
