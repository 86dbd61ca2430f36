"""Query budget of the search page: as many queries for 2 results as for 20."""

from __future__ import annotations

from tests import query_world, querycount
from tests.query_world import assert_constant_list, marked_rows

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


def test_search_page(world, query_counter, run_jobs):
    def grow(n: int) -> None:
        world.grow_connections(n)
        run_jobs()

    assert_constant_list(query_counter, grow, lambda: world.page(
        "/search?q=engineer&degree=1"), marked_rows('class="card member-card"'), budget=10)
