"""Connections through the services: duplicates, races, self, cross-instance, contact lists."""

import threading

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Forbidden, ServiceError
from maillon.members.models import Member
from maillon.network import services, visibility
from maillon.network.models import Connection
from maillon.tenancy.models import Instance


def _instance(slug):
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def connect(app, a, b, slug="reseau"):
    """Connect two members through the services; returns the connection id."""
    with app.app_context():
        instance = _instance(slug)
        row = services.request_connection(db.session, instance, db.session.get(Member, a.id),
                                          b.id)
        services.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)
        return row.id


def _rows(app, a, b):
    with app.app_context():
        return db.session.scalar(select(func.count(Connection.id)).where(
            Connection.low_id == min(a.id, b.id), Connection.high_id == max(a.id, b.id)))


def test_repeated_request_and_acceptance_keep_one_row(app, create_member):
    a, b = create_member(), create_member()
    with app.app_context():
        instance = _instance("reseau")
        me = db.session.get(Member, a.id)
        first = services.request_connection(db.session, instance, me, b.id, "Bonjour")
        again = services.request_connection(db.session, instance, me, b.id, "Bonjour")
        assert again.id == first.id and again.status == "pending"
        them = db.session.get(Member, b.id)
        services.accept_connection(db.session, instance, them, first.id, trust=4)
        replay = services.accept_connection(db.session, instance, them, first.id)
        assert replay.status == "connected" and replay.trust_of(b.id) == 4
    assert _rows(app, a, b) == 1


def test_requests_from_both_sides_connect_once(app, create_member):
    a, b = create_member(), create_member()
    with app.app_context():
        instance = _instance("reseau")
        first = services.request_connection(db.session, instance, db.session.get(Member, a.id),
                                            b.id)
        second = services.request_connection(db.session, instance,
                                             db.session.get(Member, b.id), a.id)
        assert second.id == first.id and second.status == "connected"
    assert _rows(app, a, b) == 1


def test_concurrent_requests_from_both_sides_connect_once(app, create_member):
    a, b = create_member(), create_member()
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def ask(requester, target):
        try:
            with app.app_context():
                instance = _instance("reseau")
                me = db.session.get(Member, requester.id)
                # End the read: on SQLite every transaction holds the write lock.
                db.session.commit()
                barrier.wait(5)
                row = services.request_connection(db.session, instance, me, target.id)
                outcomes.append(row.status)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=pair) for pair in ((a, b), (b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(outcomes) == ["connected", "pending"]
    assert _rows(app, a, b) == 1
    with app.app_context():
        assert services.are_connected(db.session, _instance("reseau"), a.id, b.id)


def test_no_self_connection(app, create_member):
    a = create_member()
    with app.app_context():
        with pytest.raises(ServiceError) as caught:
            services.request_connection(db.session, _instance("reseau"),
                                        db.session.get(Member, a.id), a.id)
        assert caught.value.code == "cannot_connect_self"
    assert _rows(app, a, a) == 0


def test_another_instances_ids_are_missing(app, create_member):
    a, b = create_member("reseau"), create_member("reseau")
    x = create_member("acme")
    connection_id = connect(app, a, b)
    with app.app_context():
        acme = _instance("acme")
        outsider = db.session.get(Member, x.id)
        with pytest.raises(NotFound):
            services.request_connection(db.session, acme, outsider, a.id)
        with pytest.raises(NotFound):
            services.access_connection(db.session, acme, outsider, connection_id)
        with pytest.raises(NotFound):
            visibility.list_contacts(db.session, acme, outsider, a.id)
        reseau = _instance("reseau")
        with pytest.raises(NotFound):  # a party, but asked on the wrong instance
            services.access_connection(db.session, acme, db.session.get(Member, a.id),
                                       connection_id)
        with pytest.raises(NotFound):
            services.request_connection(db.session, reseau, db.session.get(Member, a.id), x.id)


@pytest.mark.parametrize(("setting", "allowed"), [
    ("nobody", {"owner"}),
    ("connections", {"owner", "first"}),
    ("second_degree", {"owner", "first", "second"}),
    ("members", {"owner", "first", "second", "stranger"}),
])
def test_contact_lists_follow_the_owners_setting(app, create_member, setting, allowed):
    owner = create_member(visibility={"in_directory": True, "contacts_visible_to": setting})
    first, second, stranger = create_member(), create_member(), create_member()
    connect(app, owner, first)
    connect(app, first, second)
    viewers = {"owner": owner, "first": first, "second": second, "stranger": stranger}
    with app.app_context():
        instance = _instance("reseau")
        for name, viewer in viewers.items():
            me = db.session.get(Member, viewer.id)
            target = db.session.get(Member, owner.id)
            assert visibility.can_see_contacts(db.session, instance, me, target) == (
                name in allowed), name
            if name in allowed:
                _, total, contacts = visibility.list_contacts(db.session, instance, me,
                                                              owner.id)
                assert total == 1 and [m.id for m in contacts] == [first.id]
            else:
                with pytest.raises(Forbidden) as caught:
                    visibility.list_contacts(db.session, instance, me, owner.id)
                assert caught.value.code == "contacts_not_visible"
                db.session.rollback()


def test_shared_connections_are_active_members_only(app, create_member):
    a, b, c, d = (create_member() for _ in range(4))
    for middle in (c, d):
        connect(app, a, middle)
        connect(app, b, middle)
    with app.app_context():
        db.session.get(Member, d.id).status = "suspended"
        db.session.commit()
        instance = _instance("reseau")
        shared = visibility.shared_connections_for(db.session, instance,
                                                   db.session.get(Member, a.id),
                                                   db.session.get(Member, b.id))
        assert [m.id for m in shared] == [c.id]


def test_degree_circles_and_capped_circles(app, create_member):
    a, b, c, d, e = (create_member() for _ in range(5))
    connect(app, a, b)
    connect(app, b, c)
    connect(app, c, d)
    connect(app, d, e)
    with app.app_context():
        instance = _instance("reseau")
        assert visibility.degree_circles(db.session, instance, a.id, 3) == [
            {b.id}, {c.id}, {d.id}]
        assert visibility.ids_within_degree(db.session, instance, a.id, 2) == {b.id, c.id}
        assert visibility.ids_within_degree(db.session, instance, a.id, 3, cap=2) is None
        assert visibility.ids_within_degree(db.session, instance, e.id, 1) == {d.id}
