"""The connection lifecycle table, its use by the services, and the database's CHECK."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from maillon.db import db
from maillon.errors import Forbidden
from maillon.lifecycle import IllegalTransition
from maillon.members.models import Member
from maillon.network import services
from maillon.network.lifecycle import CONNECTION
from maillon.tenancy.models import Instance

CHANGES = {("pending", "connected"), ("pending", "declined"), ("pending", "withdrawn"),
           ("connected", "removed"), ("declined", "pending"), ("withdrawn", "pending"),
           ("removed", "pending")}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_allowed_change_applies(change):
    row = SimpleNamespace(id=1, status=change[0])
    CONNECTION.apply(row, change[1])
    assert row.status == change[1]


def test_every_other_change_is_refused():
    pairs = {(a, b) for a in CONNECTION.states for b in CONNECTION.states}
    for source, target in sorted(pairs - CHANGES):
        row = SimpleNamespace(id=1, status=source)
        with pytest.raises(IllegalTransition):
            CONNECTION.apply(row, target)
        assert row.status == source
    assert CONNECTION.allows(None, "pending") and not CONNECTION.allows(None, "connected")


def _call(app, fn, member, *args):
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
        return fn(db.session, instance, db.session.get(Member, member.id), *args)


def test_a_declined_invitation_cannot_be_accepted_but_can_be_asked_again(app, create_member):
    a, b = create_member(), create_member()
    row = _call(app, services.request_connection, a, b.id)
    _call(app, services.decline_connection, b, row.id)
    with pytest.raises(Forbidden):
        _call(app, services.accept_connection, b, row.id)
    again = _call(app, services.request_connection, a, b.id)
    assert (again.id, again.status) == (row.id, "pending")
    assert _call(app, services.accept_connection, b, row.id).status == "connected"


def test_the_database_refuses_a_status_outside_the_table(app, create_member):
    a, b = create_member(), create_member()
    row = _call(app, services.request_connection, a, b.id)
    with app.app_context():
        with pytest.raises(IntegrityError, match="(?i)check"):
            db.session.execute(text("UPDATE connections SET status = 'lost' WHERE id = :id"),
                               {"id": row.id})
        db.session.rollback()
        db.session.execute(text("UPDATE connections SET status = 'removed' WHERE id = :id"),
                           {"id": row.id})
        db.session.rollback()
