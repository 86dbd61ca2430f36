"""Attack: a member solves another member's private trust rating from the order of chains.

Issue 9. In Réseau (full chains) x–v1, x–v2, v1–t, v2–t are all rated 3. v1 privately rates x
1; x then lowers its own rating of v2 step by step and watches the chains to t (the API with
``limit=10``, the "Get introduced" page) or, holding a request for t, the contacts it may pass
it to: the step at which the order flips tells x what v1 thinks of x. Whatever v1's rating is,
x must see exactly the same thing, and the order must never contradict the figures shown.
"""

from __future__ import annotations

import re

import pytest

from maillon.introductions import services
from tests.privacy.common import MESSAGE, World, bearer, members_named, rate

OWN_STEPS = (3, 2, 1)  # x's own rating of v2, lowered step by step
THEIRS = (3, 1, 5)  # what v1 may privately think of x


@pytest.fixture
def world(app, create_member):
    return World(app, create_member, slug="reseau")


def diamond(world, *extra):
    """x–v1, x–v2, v1–t, v2–t, all rated 3 both ways (and ``extra`` members, unconnected)."""
    x, v1, v2, t, *others = members_named(world, "Xavier Probe", "Violette One", "Victor Two",
                                          "Tess Target", *extra)
    for a, b in ((x, v1), (x, v2), (v1, t), (v2, t)):
        world.connect(a, b, 3, 3)
    return x, v1, v2, t, others


def sweep(world, x, v1, v2, observe):
    """What x observes for each of its own ratings of v2, under each rating v1 may give x."""
    seen = {}
    for own in OWN_STEPS:
        rate(world, x, v2, own)
        for theirs in THEIRS:
            rate(world, v1, x, theirs)
            seen[own, theirs] = observe()
    return seen


def assert_blind_and_consistent(seen, figures_of):
    for own in OWN_STEPS:
        views = {theirs: seen[own, theirs] for theirs in THEIRS}
        assert all(view == views[3] for view in views.values()), (
            f"x's rating of v2 = {own}: what x sees depends on v1's private rating of x", views)
        figures = figures_of(views[3])
        assert figures == sorted(figures, reverse=True), (
            f"x's rating of v2 = {own}: the order contradicts the figures shown", views[3])


def test_paths_api_does_not_reveal_a_rating_of_the_viewer(world, client_for):
    x, v1, v2, t, _ = diamond(world)
    client, token = client_for("reseau"), bearer(world, x)

    def observe():
        answer = client.get(f"/api/v1/members/{t}/paths?limit=10", headers=token)
        assert answer.status_code == 200, answer.json
        return [(p["members"][0]["id"], p["trust"]) for p in answer.json["paths"]]

    first = observe()
    assert {m for m, _ in first} == {v1, v2}
    assert first[0][1] == first[1][1]  # as in the issue: [v1 0.401, v2 0.401]
    seen = sweep(world, x, v1, v2, observe)
    assert_blind_and_consistent(seen, lambda view: [trust for _, trust in view])
    # x's own ratings still count: the chain through the contact x trusts less comes second.
    assert [m for m, _ in seen[1, 3]] == [v1, v2]
    assert seen[1, 3][1][1] < seen[1, 3][0][1]


def test_introduce_page_does_not_reveal_a_rating_of_the_viewer(world, login, app):
    x, v1, v2, t, _ = diamond(world)
    with app.app_context():
        viewer = world.get(x)
    client = login(viewer, "reseau")

    def observe():
        response = client.get(f"/members/{t}/introduce")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        choices = html.split('class="chain-choice"')[1:]
        assert len(choices) == 2
        return [(next(name for name in ("Violette One", "Victor Two") if name in choice),
                 int(re.search(r"(\d+)% chance", choice).group(1))) for choice in choices]

    seen = sweep(world, x, v1, v2, observe)
    assert_blind_and_consistent(seen, lambda view: [pct for _, pct in view])
    assert [name for name, _ in seen[1, 3]] == ["Violette One", "Victor Two"]


def test_reroute_options_do_not_reveal_a_rating_of_the_holder(world, login, app):
    """x holds a request for t: the contacts it may pass it to, and their chances. The request
    goes on through w, trusted most, whom the options leave out ("Forward" sends it there)."""
    x, v1, v2, t, (r, w) = diamond(world, "Rita Requester", "Wendy Planned")
    world.connect(r, x, 3, 3)
    world.connect(x, w, 5, 5)
    world.connect(w, t, 5, 5)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    assert intro.path == [r, x, w, t]
    with app.app_context():
        holder = world.get(x)
    client = login(holder, "reseau")

    def observe():
        suggested = world.call(services.suggest_reroutes, x, intro.id)
        response = client.get(f"/introductions/{intro.id}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        shown = re.findall(r'name="to_member_id" value="(\d+)".*?(\d+)% chance', html, re.S)
        assert [int(m) for m, _ in shown] == [m.id for m, _ in suggested]
        return [(m.id, p) for m, p in suggested], [int(pct) for _, pct in shown]

    seen = sweep(world, x, v1, v2, observe)
    assert_blind_and_consistent(seen, lambda view: [p for _, p in view[0]])
    assert_blind_and_consistent(seen, lambda view: view[1])
    assert [m for m, _ in seen[1, 3][0]] == [v1, v2]
