"""Attack: a target's hidden contact list shows through the chains offered to reach them.

Issue 9. t sets ``contacts_visible_to: nobody``: ``/members/{t}/contacts`` is refused, but
``/api/v1/members/{t}/paths?limit=10`` (and the "Get introduced" page) named the member next to
t on every chain: up to ten of t's contacts. The member next to a target whose contacts the
requester may not see is not named to the requester before the target accepts, unless the
requester may read that member's own contact list (which shows the link anyway).
"""

from __future__ import annotations

import pytest

from maillon.introductions import services
from tests.privacy.common import MESSAGE, World, bearer, members_named

HIDDEN = {"in_directory": True, "contacts_visible_to": "nobody"}


def network(world):
    """R reaches T through three of its contacts; T's contacts are B1, A2 and B3.

    R – A1 – B1 – T, R – A2 – T, R – A3 – B3 – T. T and A2 hide their contact lists.
    """
    r, a1, b1, a2, a3, b3, t = members_named(
        world, "Rhea Requester", "Anton One", "Bruna One", "Alma Two", "Arno Three",
        "Berit Three", "Tilda Target")
    for chain in ((r, a1, b1, t), (r, a2, t), (r, a3, b3, t)):
        world.chain(*chain, trust=4)
    world.update(t, visibility=HIDDEN)
    world.update(a2, visibility=HIDDEN)
    return r, (a1, a3), (b1, a2, b3), t


NAMES_OF_T_CONTACTS = ("Bruna One", "Alma Two", "Berit Three")


@pytest.mark.parametrize("slug", ["reseau", "acme", "academia"])
def test_paths_do_not_name_a_hidden_contact_of_the_target(app, create_member, client_for,
                                                           login, slug):
    world = World(app, create_member, slug=slug)
    r, firsts, contacts_of_t, t = network(world)
    with app.app_context():
        requester = world.get(r)
    page = login(requester, slug)
    assert page.get(f"/members/{t}/contacts").status_code == 403

    answer = client_for(slug).get(f"/api/v1/members/{t}/paths?limit=10",
                                  headers=bearer(world, r))
    assert answer.status_code == 200, answer.json
    assert len(answer.json["paths"]) == 3
    named = {m["id"] for p in answer.json["paths"] for m in p["members"] if m}
    assert not named & set(contacts_of_t), answer.json
    assert all(p["members"][-1] is None for p in answer.json["paths"])
    if slug == "reseau":  # full chains: the others are still named
        assert named == set(firsts)

    html = page.get(f"/members/{t}/introduce").get_data(as_text=True)
    assert html.count('class="chain-choice"') == 3
    for name in NAMES_OF_T_CONTACTS:
        assert name not in html


def test_a_contact_whose_own_list_shows_the_link_is_still_named(app, create_member,
                                                                 client_for):
    """R's contact A2 next to T is named when R may read A2's contact list (T is on it)."""
    world = World(app, create_member, slug="reseau")
    r, _firsts, (b1, a2, b3), t = network(world)
    world.update(a2, visibility={"in_directory": True, "contacts_visible_to": "connections"})
    answer = client_for("reseau").get(f"/api/v1/members/{t}/paths?limit=10",
                                      headers=bearer(world, r))
    named = {m["id"] for p in answer.json["paths"] for m in p["members"] if m}
    assert a2 in named and not named & {b1, b3}


@pytest.mark.parametrize("slug", ["reseau", "acme", "academia"])
def test_the_request_does_not_name_it_until_the_target_accepts(app, create_member, client_for,
                                                               login, slug):
    world = World(app, create_member, slug=slug)
    r, _firsts, (b1, a2, b3), t = network(world)
    paths = world.call(services.find_chains, r, t, limit=10).paths
    index = next(i for i, p in enumerate(paths) if p.hops == 2)  # R – A2 – T
    intro = world.call(services.request_introduction, r, t, message=MESSAGE,
                       purpose="research", path_index=index)
    assert intro.path == [r, a2, t]
    token = bearer(world, r)
    client = client_for(slug)
    with app.app_context():
        requester = world.get(r)
    page = login(requester, slug)

    def seen():
        view = client.get(f"/api/v1/introductions/{intro.id}", headers=token).json
        listed = client.get("/api/v1/introductions", headers=token).json
        html = page.get(f"/introductions/{intro.id}").get_data(as_text=True)
        return str(view) + str(listed) + html

    assert "Alma Two" not in seen()  # A2 holds it
    world.call(services.forward_introduction, a2, intro.id, note="for you")
    assert "Alma Two" not in seen()  # delivered: T has not answered
    world.call(services.accept_introduction, t, intro.id)
    assert "Alma Two" in seen()  # accepted: the chain as the instance shows it
