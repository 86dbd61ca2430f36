"""Query budgets of the API: a list costs the same number of queries for 2 rows as for 20.

Each test measures an endpoint with 2 rows in its list, grows the list to 20, measures again,
and requires the same count, within the stated budget (see tests/querycount.py). Budgets are
today's counts plus a little room; a new per-row query fails the "same count" check anyway.
"""

from __future__ import annotations

from typing import Any

from tests import query_world, querycount
from tests.query_world import api_rows, assert_constant_list

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


def test_search(world, query_counter, run_jobs):
    def grow(n: int) -> None:
        world.grow_connections(n)
        run_jobs()

    assert_constant_list(query_counter, grow, lambda: world.api(
        "/search?q=engineer&degree=1&per_page=50"), api_rows, budget=11)


def test_connections(world, query_counter):
    assert_constant_list(query_counter, world.grow_connections,
                         lambda: world.api("/connections?per_page=50"), api_rows, budget=10)


def test_invitations_received(world, query_counter):
    assert_constant_list(query_counter, world.grow_received, lambda: world.api(
        "/connections?status=pending&direction=in&per_page=50"), api_rows, budget=10)


def test_invitations_sent(world, query_counter):
    assert_constant_list(query_counter, world.grow_sent, lambda: world.api(
        "/connections?status=pending&direction=out&per_page=50"), api_rows, budget=10)


def test_endorsements(world, query_counter):
    def endorsers(response: Any) -> int:
        return response.get_json()["results"][0]["count"]  # the skill they all endorsed

    assert_constant_list(query_counter, world.grow_endorsements, lambda: world.api(
        f"/members/{world.me}/endorsements"), endorsers, budget=8)


def test_recommendations(world, query_counter):
    assert_constant_list(query_counter, world.grow_recommendations, lambda: world.api(
        f"/members/{world.me}/recommendations"), api_rows, budget=7)


def test_introductions_sent(world, query_counter):
    assert_constant_list(query_counter, world.grow_introductions, lambda: world.api(
        "/introductions?role=sent&per_page=50"), api_rows, budget=13)


def test_introductions_relaying(world, query_counter):
    """The relay's list: every request passes through the same hub."""
    assert_constant_list(query_counter, world.grow_introductions, lambda: world.api(
        "/introductions?role=relaying&per_page=50", world.hub), api_rows, budget=13)


def test_paths(world, query_counter):
    """Chains through 2, then 10 (the most one may ask for) different relays."""
    def paths(response: Any) -> int:
        return len(response.get_json()["paths"])

    assert_constant_list(query_counter, world.grow_relays, lambda: world.api(
        f"/members/{world.far}/paths?limit={len(world.relays)}"), paths, budget=15,
        sizes=(2, 10))


def test_member_profile(world, query_counter):
    """One profile: its endorsers and recommendations are lists too."""
    def grow(n: int) -> None:
        world.grow_endorsements(n)
        world.grow_recommendations(n)

    def recommendations(response: Any) -> int:
        return len(response.get_json()["recommendations"])

    assert_constant_list(query_counter, grow, lambda: world.api(f"/members/{world.me}"),
                         recommendations, budget=12)


def test_own_profile(world, query_counter):
    log = query_counter.measure(world.api("/me"))
    assert log.response.get_json()["experiences"]
    assert log.count <= 5, log.report()
