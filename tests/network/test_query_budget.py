"""Query budgets of the network pages: my network (connections and invitations), a member's
contacts and "recommendations about me" cost the same for 2 rows as for 20."""

from __future__ import annotations

from tests import query_world, querycount
from tests.query_world import assert_constant_list, marked_rows

# The fixtures, by name (an assignment, so that pytest finds them in this module).
world = query_world.world
query_counter = querycount.query_counter


def test_my_network(world, query_counter):
    def grow(n: int) -> None:
        world.grow_connections(n)
        world.grow_received(n)
        world.grow_sent(n)

    def rows(response: object) -> int:
        per_kind = [marked_rows(marker)(response) for marker in (
            'class="member-card connection"', 'class="member-card invitation"')]
        assert per_kind[1] == 2 * per_kind[0]  # received and sent
        return per_kind[0]

    assert_constant_list(query_counter, grow, lambda: world.page("/network"), rows, budget=15)


def test_contacts(world, query_counter):
    assert_constant_list(query_counter, world.grow_connections, lambda: world.page(
        f"/members/{world.me}/contacts"), marked_rows('class="card member-card"'), budget=13)


def test_contacts_of_a_connection(world, query_counter):
    """Another member's list, where the viewer's setting check and badges come in."""
    assert_constant_list(query_counter, world.grow_connections, lambda: world.page(
        f"/members/{world.me}/contacts", world.connections[0]), marked_rows(
        'class="card member-card"'), budget=14)


def test_recommendations_page(world, query_counter):
    """About me, written by me, asked of me: three lists of different people."""
    def grow(n: int) -> None:
        world.grow_recommendations(n)
        world.grow_written(n)
        world.grow_asks(n)

    def rows(response: object) -> int:
        shown = marked_rows('class="card recommendation"')(response)
        asked = marked_rows('/dismiss"')(response)  # "not now", on each request
        assert shown == 2 * asked  # about me and written by me
        return asked

    assert_constant_list(query_counter, grow, lambda: world.page("/recommendations"), rows,
                         budget=11)
