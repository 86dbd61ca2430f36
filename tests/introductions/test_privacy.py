"""What each mode of chain visibility shows: proposed chains, and a request on its way."""

from __future__ import annotations

import pytest

from maillon.introductions import services
from tests.introductions.world import MESSAGE, World

#: The target lists its contacts to every member: the chain shows as far as the mode allows
#: (a target hiding them also hides the member next to it: tests/privacy/test_hidden_contacts).
LISTED = {"in_directory": True, "contacts_visible_to": "members"}


def community(app, create_member, slug):
    world = World(app, create_member, slug=slug)
    ids = world.members("Requester", "Alice", "Bob", "Carol", "Target")
    world.chain(*ids, trust=4)
    world.update(ids[-1], visibility=LISTED)
    return world, ids


def view(world, intro_id, viewer):
    def build(session, instance, member):
        intro = services.access_introduction(session, instance, member, intro_id)
        return services.introduction_view(session, instance, intro, member)

    return world.call(build, viewer)


@pytest.mark.parametrize(("slug", "shown"), [("reseau", [True, True, True]),
                                             ("acme", [True, False, False]),
                                             ("academia", [True, False, False])])
def test_proposed_chains_per_mode(app, create_member, slug, shown):
    world, (r, a, b, c, t) = community(app, create_member, slug)
    found = world.call(services.find_chains, r, t)
    assert found.degree == 4
    [path] = found.paths
    assert path.hops == 4 and 0 < path.trust <= 1
    assert [m is not None for m in path.members] == shown
    assert [m.id for m in path.members if m is not None] == [a, b, c][:sum(shown)]


def test_degree_and_no_chain_when_the_target_refuses(app, create_member):
    world, (r, a, b, c, t) = community(app, create_member, "reseau")
    world.update(t, contact_policy={"introductions": False})
    found = world.call(services.find_chains, r, t)
    assert (found.degree, found.paths) == (4, [])
    assert world.call(services.find_chains, r, a).degree == 1
    lone = world.member("Lone")
    assert world.call(services.find_chains, r, lone).degree is None


def test_stepwise_shows_neighbours_until_accepted(app, create_member):
    world, (r, a, b, c, t) = community(app, create_member, "academia")
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")
    for holder in (a, b, c):
        world.call(services.forward_introduction, holder, intro.id)

    def ids(chain):
        return [m.id if m else None for m in chain]

    assert ids(view(world, intro.id, r)["chain"]) == [a, None, None]
    assert ids(view(world, intro.id, b)["chain"]) == [a, b, c]
    assert ids(view(world, intro.id, a)["chain"]) == [a, b, None]
    assert ids(view(world, intro.id, t)["chain"]) == [None, None, c]
    world.call(services.accept_introduction, t, intro.id)
    assert ids(view(world, intro.id, r)["chain"]) == [a, b, c]


def test_first_link_shows_the_requester_only_their_contact(app, create_member):
    world, (r, a, b, c, t) = community(app, create_member, "acme")
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")
    for holder in (a, b, c):
        world.call(services.forward_introduction, holder, intro.id)
    world.call(services.accept_introduction, t, intro.id)
    requester_view = view(world, intro.id, r)
    assert [m.id if m else None for m in requester_view["chain"]] == [a, None, None]
    actors = {e["actor"].id for e in requester_view["events"] if e["actor"]}
    assert actors <= {r, a, t}


def test_full_shows_everything_but_who_declined(app, create_member):
    world, (r, a, b, c, t) = community(app, create_member, "reseau")
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")
    assert [m.id for m in view(world, intro.id, r)["chain"]] == [a, b, c]
    world.call(services.forward_introduction, a, intro.id)
    world.call(services.decline_introduction, b, intro.id, reason="busy month")
    mine = view(world, intro.id, r)
    # Once it stopped, the requester sees none of that chain, nor how far it went: a blank
    # where the decliner stood, or the last forward's recipient, would name them.
    assert mine["chain"] == [None, None, None]
    assert mine["current_hop"] is None
    assert all(e["actor"] is None or e["actor"].id == r for e in mine["events"])
    assert all(e["position"] is None and "to" not in e["data"] for e in mine["events"])


def test_shown_chance_reveals_no_one_elses_rating(app, create_member):
    """The chance shown for a chain depends on the viewer's own ratings and on the coarse level
    of every other link (the sum of both ratings in three bands), never on anything finer,
    and never on how a contact rates the viewer (docs/decisions.md, private trust)."""
    from maillon.network import services as network

    def rate(rater, other, value):
        row = world.run(network.find_connection_between, rater, other)
        world.call(network.set_trust, rater, row.id, value)

    def chances(target):
        return [p.trust for p in world.call(services.find_chains, r, target).paths]

    world, (r, a, b, c, t) = community(app, create_member, "reseau")  # all rated 4: sum 8
    before, direct = chances(t), chances(a)
    rate(a, r, 1)  # a's rating of the viewer never counts
    rate(b, a, 5)
    rate(a, b, 3)  # 3 + 5: the same level as 4 + 4
    rate(t, c, 5)
    assert (chances(t), chances(a)) == (before, direct)
    rate(a, b, 1)  # 1 + 5 = 6: a lower level
    assert chances(t)[0] < before[0] and chances(a) == direct
    # The viewer's own rating does move it.
    rate(r, a, 1)
    assert chances(t)[0] < before[0] and chances(a)[0] < direct[0]
