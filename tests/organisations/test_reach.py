"""Reach through the service: who may see it, members' choices, the minimum group size,
snapshots; and who among the members can introduce the organisation, without a rating leak."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from maillon.errors import Forbidden
from maillon.members.models import Member
from maillon.organisations import introducers, reach
from tests.organisations.world import OrgWorld


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member]) -> OrgWorld:
    return OrgWorld(app, create_member, "academia")


def _org_with_people(world: OrgWorld, size: int = 2) -> tuple[int, int, list[int]]:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    people = [world.member(f"Colleague {i}") for i in range(size)]
    for p in people:
        world.join(p, org, confirm_by=ana)
    return ana, org, people


def test_levels_count_distinct_people_and_only_members_and_admins_see_them(world: OrgWorld) -> None:
    ana, org, (m1, m2) = _org_with_people(world)
    x, y, z = world.members("X", "Y", "Z")
    world.connect(m1, x)
    world.connect(m2, x)  # x counted once
    world.connect(m1, m2)  # a colleague is not reach
    world.connect(x, y)
    world.connect(y, z)  # beyond the third level
    found = world.call(reach.organisation_reach, m1, org)
    assert (found.members, found.first_degree, found.second_degree, found.third_degree) == (
        2,
        2,
        1,
        1,
    )
    assert world.call(reach.organisation_reach, ana, org).second_degree == 1
    with pytest.raises(Forbidden):
        world.call(reach.organisation_reach, x, org)


def test_members_choices_suspended_not_counted_hidden_contacts_not_spread(world: OrgWorld) -> None:
    _ana, org, (m1, m2) = _org_with_people(world)
    a, b, c = world.members("A", "B", "C")
    world.connect(m1, a)
    world.connect(m2, b)
    world.connect(m1, c)
    world.update(m2, visibility={"in_directory": True, "contacts_visible_to": "nobody"})
    world.update(c, status="suspended")
    found = world.call(reach.organisation_reach, m1, org)
    assert found.second_degree == 1  # a only: b is m2's secret, c is suspended


def test_breakdown_rows_below_the_minimum_are_merged_and_hidden_members_in_none(
    world: OrgWorld,
) -> None:
    _ana, org, (m1,) = _org_with_people(world, 1)
    lyon = [world.member(f"L{i}", location="Lyon") for i in range(5)]
    paris = [world.member(f"P{i}", location="Paris") for i in range(3)]
    hidden = [
        world.member(
            f"H{i}",
            location="Nice",
            visibility={"in_directory": False, "contacts_visible_to": "connections"},
        )
        for i in range(5)
    ]
    for person in lyon + paris + hidden:
        world.connect(m1, person)
    found = world.call(reach.organisation_reach, m1, org)
    assert found.second_degree == 13  # everyone counts in the total
    rows = {(g.key, g.count) for g in found.by_location}
    # Lyon shows; Paris (3) is below the minimum of 5 and merged; Nice's people are hidden
    # from the directory: never a row of their own, only part of "other".
    assert rows == {("lyon", 5), ("", 8)}
    world.set_policy(**{"organisations.min_group_size": 3})
    rows = {(g.key, g.count) for g in world.call(reach.organisation_reach, m1, org).by_location}
    assert rows == {("lyon", 5), ("paris", 3), ("", 5)}


def test_breakdown_by_organisation_and_sector(world: OrgWorld) -> None:
    ana, org, (m1,) = _org_with_people(world, 1)
    other = world.organisation(ana, "Garonne", sector="higher_education")
    people = [world.member(f"G{i}") for i in range(5)]
    for p in people:
        world.join(p, other, confirm_by=ana)
        world.connect(m1, p)
    found = world.call(reach.organisation_reach, m1, org)
    assert [(g.label, g.count) for g in found.by_organisation] == [("Garonne", 5)]
    assert [(g.key, g.count) for g in found.by_sector] == [("higher_education", 5)]


def test_a_snapshot_a_day(world: OrgWorld) -> None:
    _ana, org, (m1,) = _org_with_people(world, 1)
    world.connect(m1, world.member("X"))
    first = world.run(reach.record_snapshot, org)
    again = world.run(reach.record_snapshot, org)
    assert first.id == again.id and first.second_degree == 1
    assert [s.second_degree for s in world.call(reach.organisation_reach, m1, org).history] == [1]


# ---------------------------------------------------------------------- introducers


def test_introducers_ranked_by_chain_success(world: OrgWorld) -> None:
    ana, org, (near, far, weak) = _org_with_people(world, 3)
    target = world.member(
        "Target", visibility={"in_directory": True, "contacts_visible_to": "members"}
    )
    mid = world.member("Mid")
    world.connect(near, target, 5, 5)
    world.connect(weak, target, 1, 1)
    world.chain(far, mid, target, trust=5)
    found = world.call(introducers.find_introducers, ana, org, target_id=target)
    # A strong link first, then two strong links (0.89² × the relay factor 0.8) before one
    # weak link (0.56): chain success, not the fewest links.
    assert [(f.member.id, f.hops) for f in found] == [(near, 1), (far, 2), (weak, 1)]
    assert [f.chance for f in found] == pytest.approx([0.8938, 0.639, 0.5562], abs=1e-3)


def test_introducers_toward_an_organisation(world: OrgWorld) -> None:
    ana, org, (m1, m2) = _org_with_people(world)
    other = world.organisation(ana, "Garonne")
    t1 = world.member("T1")
    world.join(t1, other, confirm_by=ana)
    world.chain(m2, world.member("Mid"), t1, trust=4)
    found = world.call(introducers.find_introducers, m1, org, target_organisation_id=other)
    assert [(f.member.id, f.hops) for f in found] == [(m2, 2)]


def test_a_colleague_next_to_a_hidden_list_is_not_named(world: OrgWorld) -> None:
    ana, org, (m1, m2) = _org_with_people(world)
    target = world.member(
        "Target", visibility={"in_directory": True, "contacts_visible_to": "nobody"}
    )
    world.connect(m2, target)
    world.update(m2, visibility={"in_directory": True, "contacts_visible_to": "nobody"})
    assert world.call(introducers.find_introducers, m1, org, target_id=target) == []
    world.update(m2, visibility={"in_directory": True, "contacts_visible_to": "members"})
    found = world.call(introducers.find_introducers, m1, org, target_id=target)
    assert [f.member.id for f in found] == [m2]


def test_hidden_and_non_relaying_colleagues_are_not_offered(world: OrgWorld) -> None:
    ana, org, (m1, m2, m3) = _org_with_people(world, 3)
    target = world.member(
        "Target", visibility={"in_directory": True, "contacts_visible_to": "members"}
    )
    for m in (m2, m3):
        world.connect(m, target)
    world.update(m2, visibility={"in_directory": False, "contacts_visible_to": "members"})
    world.update(m3, relaying="off")
    assert world.call(introducers.find_introducers, m1, org, target_id=target) == []


def _shown(world: OrgWorld, viewer: int, org: int, target: int) -> list[tuple[int, int, float]]:
    return [
        (f.member.id, f.hops, f.chance)
        for f in world.call(introducers.find_introducers, viewer, org, target_id=target)
    ]


def test_ratings_do_not_leak_through_the_order(world: OrgWorld) -> None:
    """Decision 14's attack on this ranking: x asks who can introduce the organisation to t,
    through x's colleagues v1 and v2 (both rated 3 by x, both linked to t) or x themself
    (through c, outside). Whatever v1 and c privately rate x, and whatever v1 and t rate each
    other within one level, what x is shown (who, in which order, with which chance) is the
    same."""
    ana, org, (x, v1, v2) = _org_with_people(world, 3)
    target = world.member(
        "Target", visibility={"in_directory": True, "contacts_visible_to": "members"}
    )
    world.connect(x, v1, 3, 3)
    world.connect(x, v2, 3, 3)
    world.connect(v1, target, 3, 3)
    world.connect(v2, target, 3, 3)
    c = world.member("C")
    world.connect(x, c, 4, 4)
    world.connect(c, target, 4, 4)
    seen = set()
    from maillon.network.services import find_connection_between, set_trust

    def rate(rater: int, other: int, value: int) -> None:
        with world.app.app_context():
            from maillon.db import db

            row = find_connection_between(db.session, world.instance(), rater, other)
            assert row is not None
            set_trust(db.session, world.instance(), world.get(rater), row.id, value)

    for v1_rates_x in (1, 2, 3, 4, 5):
        rate(v1, x, v1_rates_x)
        rate(c, x, v1_rates_x)
        for v1_t, t_v1 in ((2, 3), (3, 3), (3, 4), (1, 4), (2, 5)):  # sums 5-7: one level
            rate(v1, target, v1_t)
            rate(target, v1, t_v1)
            seen.add(tuple(_shown(world, x, org, target)))
    assert len(seen) == 1
    assert {member for member, _hops, _chance in seen.pop()} == {x, v1, v2}
