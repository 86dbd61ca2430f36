"""The tenant net (``maillon.db._scope_to_instance``) and its strict mode, tested directly.

Inside a request, an ORM select of another instance's rows returns nothing, whatever the
statement says; in the test suite's strict mode such a statement raises instead, so that every
request of the suite proves the services' explicit filters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import exists, func, select

from maillon.db import TenantFilterMissing, db
from maillon.members.models import Member


@contextmanager
def request_on(app: Flask, slug: str) -> Iterator[None]:
    """A resolved request of instance ``slug`` (the net is armed by instance resolution)."""
    with app.test_request_context("/", base_url=f"http://{slug}.localhost"):
        app.preprocess_request()
        assert db.session.info.get("instance_id") is not None
        yield


@pytest.fixture
def two_members(create_member: Callable[..., Member]) -> tuple[Member, Member]:
    return create_member("reseau", name="Rita Reseau"), create_member("acme", name="Alan Acme")


def test_the_net_hides_other_instances_rows_in_a_request(
    app: Flask, two_members: tuple[Member, Member]
) -> None:
    app.config["STRICT_TENANT_NET"] = False  # the net as in production: it filters, silently
    rita, alan = two_members

    with request_on(app, "reseau"):
        assert [m.id for m in db.session.scalars(select(Member))] == [rita.id]
        assert db.session.scalar(select(Member).where(Member.id == alan.id)) is None
        assert db.session.get(Member, alan.id) is None
        assert db.session.scalar(select(func.count(Member.id))) == 1
        assert db.session.scalar(select(exists().where(Member.name == "Alan Acme"))) is False
    with request_on(app, "acme"):
        assert [m.id for m in db.session.scalars(select(Member))] == [alan.id]


def test_outside_a_request_there_is_no_net(
    app: Flask, two_members: tuple[Member, Member]
) -> None:
    rita, alan = two_members

    with app.app_context():  # as the CLI and the jobs worker run
        assert {m.id for m in db.session.scalars(select(Member))} == {rita.id, alan.id}


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(lambda other: select(Member), id="all rows"),
        pytest.param(lambda other: select(Member).where(Member.id == other.id), id="by id"),
        pytest.param(lambda other: select(func.count(Member.id)), id="count"),
        pytest.param(lambda other: select(Member.name), id="columns"),
        pytest.param(
            lambda other: select(exists().where(Member.id == other.id)), id="exists"),
    ],
)
def test_strict_mode_raises_when_the_net_removes_a_row(
    app: Flask, two_members: tuple[Member, Member], statement: Callable[[Member], Any]
) -> None:
    assert app.config["STRICT_TENANT_NET"]
    _, alan = two_members

    with request_on(app, "reseau"), pytest.raises(TenantFilterMissing, match="explicit"):
        db.session.execute(statement(alan)).all()


def test_strict_mode_accepts_explicit_filters_and_unfiltered_reads_that_lose_nothing(
    app: Flask, create_member: Callable[..., Member]
) -> None:
    rita = create_member("reseau", name="Rita Reseau")
    own = select(Member).where(Member.instance_id == rita.instance_id)

    with request_on(app, "reseau"):
        assert [m.id for m in db.session.scalars(own)] == [rita.id]
        # No other instance has members yet: the net removes nothing, so nothing is wrong.
        assert [m.id for m in db.session.scalars(select(Member))] == [rita.id]

    create_member("acme", name="Alan Acme")
    with request_on(app, "reseau"):
        assert [m.id for m in db.session.scalars(own)] == [rita.id]
        with pytest.raises(TenantFilterMissing):
            db.session.scalars(select(Member)).all()


def test_a_page_counts_only_its_own_members(
    client_for: Callable[[str], Any], create_member: Callable[..., Member]
) -> None:
    # Under the strict net, this page also proves that its count names the instance: without
    # the filter the net would still show 2, and the strict net raises instead.
    for _ in range(2):
        create_member("reseau")
    for _ in range(3):
        create_member("acme")

    page = client_for("reseau").get("/").get_data(as_text=True)

    assert re.search(r"\b2 (members|membres)\b", page), page


def test_one_compiled_form_serves_every_instance(
    app: Flask, two_members: tuple[Member, Member]
) -> None:
    """The instance id reaches the net's criteria as a parameter of each execution: the form
    compiled (and cached) for one instance's request answers the other's with its own rows."""
    app.config["STRICT_TENANT_NET"] = False
    rita, alan = two_members
    statement = select(Member.id)

    for slug, expected in (("reseau", rita), ("acme", alan), ("reseau", rita)):
        with request_on(app, slug):
            assert db.session.scalars(statement).all() == [expected.id]


def test_lazy_loads_of_netted_rows_are_netted_too(
    app: Flask, create_member: Callable[..., Member]
) -> None:
    """The criteria propagate to a loaded row's lazy loads, with the request's instance id."""
    from maillon.members.models import Experience

    rita = create_member("reseau", name="Rita Reseau")
    with app.app_context():
        db.session.add(Experience(instance_id=rita.instance_id, member_id=rita.id,
                                  title="Plombière", start_date=date(2020, 1, 1)))
        db.session.commit()

    with request_on(app, "reseau"):
        member = db.session.get(Member, rita.id)
        assert member is not None
        assert [e.title for e in member.experiences] == ["Plombière"]
