"""Query budget of the notifications page: as many queries for 2 notifications as for 20."""

from __future__ import annotations

from tests import query_world, querycount
from tests.query_world import assert_constant_list, marked_rows

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


def test_notifications(world, query_counter):
    # Each new connection accepted the viewer's invitation: one notification per row.
    assert_constant_list(query_counter, world.grow_connections,
                         lambda: world.page("/notifications"),
                         marked_rows('<li class="card notification'), budget=10)
