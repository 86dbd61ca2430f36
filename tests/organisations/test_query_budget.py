"""Query budgets of the organisation lists: the same cost for 2 rows as for 20."""

from __future__ import annotations

from typing import Any

import pytest

from maillon.organisations import services
from tests import query_world, querycount
from tests.query_world import SLUG, api_rows, assert_constant_list, marked_rows

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


@pytest.fixture
def admin(world) -> int:
    return world.create_member(SLUG, name="Admin", role="admin").id


def _organisations(world, admin: int) -> Any:
    made: list[int] = []

    def grow(n: int) -> None:
        while len(made) < n:
            org, _ = world.call(services.create_organisation, admin, {"name": f"Org {len(made)}"})
            member = world.person()
            row, _ = world.call(services.claim_affiliation, member, org.id, {"role": "Chef"})
            world.call(services.confirm_affiliation, admin, row.id)
            made.append(org.id)

    return grow


def _members(world, admin: int) -> tuple[int, Any]:
    org, _ = world.call(services.create_organisation, admin, {"name": "The one"})
    world.call(services.claim_affiliation, world.me, org.id, {})
    people: list[int] = []

    def grow(n: int) -> None:
        while len(people) < n:
            member = world.person()
            row, _ = world.call(services.claim_affiliation, member, org.id, {"role": "Chef"})
            world.call(services.confirm_affiliation, admin, row.id)
            people.append(member)

    return org.id, grow


def test_organisations_page(world, query_counter, admin):
    assert_constant_list(
        query_counter,
        _organisations(world, admin),
        lambda: world.page("/organisations"),
        marked_rows('class="card member-card org-card"'),
        budget=10,
    )


def test_organisations_api(world, query_counter, admin):
    assert_constant_list(
        query_counter,
        _organisations(world, admin),
        lambda: world.api("/organisations"),
        api_rows,
        budget=8,
    )


def test_organisation_page_members(world, query_counter, admin):
    org, grow = _members(world, admin)
    assert_constant_list(
        query_counter,
        grow,
        lambda: world.page(f"/organisations/{org}"),
        marked_rows('class="org-person"'),
        budget=20,
    )


def test_organisation_affiliations_api(world, query_counter, admin):
    org, grow = _members(world, admin)
    assert_constant_list(
        query_counter,
        grow,
        lambda: world.api(f"/organisations/{org}/affiliations"),
        api_rows,
        budget=8,
    )
