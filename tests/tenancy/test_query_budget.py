"""Query budget of a member's home page: the same whatever waits for them, however many
requests they sent, and however large their network."""

from __future__ import annotations

from tests import query_world, querycount

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


def test_home_costs_the_same_whatever_the_numbers(world, query_counter):
    logs = []
    for size in (2, 12):
        world.grow_introductions(size)  # requests on their way, through the hub
        world.grow_received(size)  # invitations waiting
        world.grow_asks(size)  # recommendations asked of the viewer
        world.grow_relays(size)  # contacts who know someone the viewer does not: suggestions
        logs.append(query_counter.measure(world.page("/")))
        page = logs[-1].response.get_data(as_text=True)
        assert page.count('class="todo progress-item"') == min(size, 5)
        assert 'class="member-card suggestion"' in page
    query_counter.assert_constant(*logs, budget=22)
