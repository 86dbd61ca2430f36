"""Query budgets of the member pages: the directory costs the same for 2 members as for 20,
and a profile the same for 2 endorsers and recommendations as for 20."""

from __future__ import annotations

from typing import Any

from tests import query_world, querycount
from tests.query_world import assert_constant_list, marked_rows

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
