"""Introduction pages: getting introduced per privacy mode, writing directly, my introductions,
the detail page and its action forms for each role, the statistics page, and isolation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from maillon.db import db
from maillon.introductions import services
from maillon.introductions.models import DirectMessage, Introduction, IntroductionEvent
from tests.introductions.world import MESSAGE, World

NAMES = ("Ann Requester", "Bob Relay", "Cyd Relay", "Dee Target")


def community(app, create_member, slug="reseau", **target):
    """A chain Ann – Bob – Cyd – Dee (English pages: the tests read the words). Dee lists
    her contacts to every member unless told otherwise (else Cyd, next to her, is not named
    to Ann before she accepts: tests/privacy/test_hidden_contacts.py)."""
    target.setdefault("visibility", {"in_directory": True, "contacts_visible_to": "members"})
    world = World(app, create_member, slug=slug)
    ids = [world.member(NAMES[0], locale="en"), world.member(NAMES[1], locale="en"),
           world.member(NAMES[2], locale="en"), world.member(NAMES[3], locale="en", **target)]
    world.chain(*ids, trust=4)
    return world, ids


def members(world, *ids):
    with world.app.app_context():
        rows = [world.get(i) for i in ids]
        for row in rows:
            db.session.expunge(row)
    return rows


def ask(world, requester, target):
    return world.call(services.request_introduction, requester, target, message=MESSAGE,
                      purpose="advice").id


def count_events(app, intro_id, kind=None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(IntroductionEvent).where(
            IntroductionEvent.introduction_id == intro_id)
        if kind:
            query = query.where(IntroductionEvent.kind == kind)
        return db.session.scalar(query)


def status_of(app, intro_id) -> str:
    with app.app_context():
        return db.session.get(Introduction, intro_id).status


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("slug", "seen", "hidden"), [
    ("reseau", ["Bob Relay", "Cyd Relay"], []),  # full
    ("acme", ["Bob Relay"], ["Cyd Relay"]),  # first_link
    ("academia", ["Bob Relay", "2 more steps"], ["Cyd Relay"]),  # stepwise
])
def test_introduce_page_shows_chains_as_the_instance_allows(app, create_member, login, slug,
                                                            seen, hidden):
    world, (a, b, c, d) = community(app, create_member, slug)
    client = login(members(world, a)[0], slug)
    html = page(client, f"/members/{d}/introduce")
    assert "Get introduced to Dee Target" in html
    assert "3 links" in html and "% chance" in html
    assert 'type="radio" name="chain" value="0"' in html
    assert "Read their profile first." in html and 'data-counter="message-count"' in html
    for name in seen:
        assert name in html
    for name in hidden:
        assert name not in html


def test_profile_and_search_offer_the_right_way_to_reach_someone(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    client = login(members(world, a)[0], "acme")
    html = page(client, f"/members/{d}")
    assert f"/members/{d}/introduce" in html and f"/members/{d}/message" not in html
    # A first-degree contact with the default policy ("my network") can be written to.
    html = page(client, f"/members/{b}")
    assert f"/members/{b}/message" in html and f"/members/{b}/introduce" not in html


def test_sending_a_request_from_the_form(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    client = login(members(world, a)[0], "acme")
    response = client.post(f"/members/{d}/introduce",
                           data={"purpose": "advice", "message": MESSAGE, "chain": "0"})
    assert response.status_code == 303
    intro_id = int(re.search(r"/introductions/(\d+)$", response.headers["Location"]).group(1))
    html = page(client, f"/introductions/{intro_id}")
    assert 'data-status="in_progress"' in html and MESSAGE in html
    assert "Withdraw my request" in html
    assert count_events(app, intro_id, "requested") == 1
    assert "Dee Target" in page(client, "/introductions?tab=sent")


def test_refusals_are_messages_on_the_page(app, create_member, login):
    world, (a, b, c, d) = community(
        app, create_member, "acme",
        contact_policy={"direct": "nobody", "introductions": True, "purposes": ["research"],
                        "max_hops": 6})
    client = login(members(world, a)[0], "acme")
    # Only the purposes the target accepts are offered; another one is refused as the API
    # refuses it (purpose_not_accepted), an unknown one as invalid.
    html = page(client, f"/members/{d}/introduce")
    assert 'value="research"' in html and 'value="business"' not in html
    response = client.post(f"/members/{d}/introduce",
                           data={"purpose": "business", "message": MESSAGE, "chain": "0"})
    assert response.status_code == 403
    assert "flash-error" in response.get_data(as_text=True)
    response = client.post(f"/members/{d}/introduce",
                           data={"purpose": "gossip", "message": MESSAGE, "chain": "0"})
    assert response.status_code == 422
    # The quota of pending requests.
    world.set_policy(**{"quotas.pending_introductions": 0})
    response = client.post(f"/members/{d}/introduce",
                           data={"purpose": "research", "message": MESSAGE, "chain": "0"})
    assert response.status_code == 403
    assert "flash-error" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Introduction)) == 0
    # A target who takes no introductions is not reachable.
    world.update(d, contact_policy={"direct": "nobody", "introductions": False,
                                    "purposes": ["research"], "max_hops": 6})
    assert "No chain reaches Dee Target" in page(client, f"/members/{d}/introduce")


def test_direct_message_instead_when_the_target_allows_it(app, create_member, login):
    world, (a, b, c, d) = community(
        app, create_member, "acme",
        contact_policy={"direct": "anyone", "introductions": True,
                        "purposes": ["advice"], "max_hops": 6})
    client = login(members(world, a)[0], "acme")
    html = page(client, f"/members/{d}/introduce")
    assert "You can write to them directly" in html and "Choose a chain" not in html
    response = client.post(f"/members/{d}/message", data={"text": "Hello Dee, a short note."})
    assert response.status_code == 303
    world.update(d, contact_policy={"direct": "nobody", "introductions": True,
                                    "purposes": ["advice"], "max_hops": 6})
    response = client.post(f"/members/{d}/message", data={"text": "Hello again."})
    assert response.status_code == 403
    assert "does not accept direct messages" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DirectMessage)) == 1


def test_relay_forwards_once_even_when_submitting_twice(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    intro_id = ask(world, a, d)
    bob = login(members(world, b)[0], "acme")
    assert "Your turn" in page(bob, "/introductions?tab=relaying")
    html = page(bob, f"/introductions/{intro_id}")
    assert "Pass it on" in html and "Decline to relay" in html and "Advise instead" in html
    assert re.search(r'badge-count[^>]*>1<', html)  # the nav counts what waits for Bob
    data = {"note": "Cyd, this one is serious.", "vouch": "I vouch for Ann."}
    first = bob.post(f"/introductions/{intro_id}/forward", data=data)
    second = bob.post(f"/introductions/{intro_id}/forward", data=data)
    assert first.status_code == second.status_code == 303
    assert count_events(app, intro_id, "forwarded") == 1
    assert "Pass it on" not in page(bob, f"/introductions/{intro_id}")
    cyd = login(members(world, c)[0], "acme")
    html = page(cyd, f"/introductions/{intro_id}")
    assert "Cyd, this one is serious." in html  # the private note reaches the next hop


def test_target_accepts_and_everyone_sees_the_outcome(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "reseau")
    intro_id = ask(world, a, d)
    for relay in (b, c):
        client = login(members(world, relay)[0], "reseau")
        assert client.post(f"/introductions/{intro_id}/forward",
                           data={"note": "", "vouch": ""}).status_code == 303
    dee = login(members(world, d)[0], "reseau")
    assert "From Ann Requester" in page(dee, "/introductions?tab=received")
    html = page(dee, f"/introductions/{intro_id}")
    assert "Accept the introduction" in html and "Turn down" in html
    response = dee.post(f"/introductions/{intro_id}/accept",
                        data={"message": "Glad to help.", "connect": "y"})
    assert response.status_code == 303
    dee.post(f"/introductions/{intro_id}/accept", data={"message": "Glad to help."})
    assert count_events(app, intro_id, "accepted") == 1
    html = page(dee, f"/introductions/{intro_id}")
    assert "Thank the chain" in html
    dee.post(f"/introductions/{intro_id}/thank", data={"message": "Thanks all!"})
    dee.post(f"/introductions/{intro_id}/thank", data={"message": "Thanks all!"})
    assert count_events(app, intro_id, "thanked") == 1
    ann = login(members(world, a)[0], "reseau")
    html = page(ann, f"/introductions/{intro_id}")
    assert 'data-status="accepted"' in html and "Glad to help." in html
    assert members(world, d)[0].email in html  # contact details once accepted


def test_requester_never_learns_who_declined_and_may_retry(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "reseau")
    intro_id = ask(world, a, d)
    bob = login(members(world, b)[0], "reseau")
    bob.post(f"/introductions/{intro_id}/forward", data={"note": "", "vouch": ""})
    cyd = login(members(world, c)[0], "reseau")
    cyd.post(f"/introductions/{intro_id}/decline", data={"reason": "I barely know Dee."})
    cyd.post(f"/introductions/{intro_id}/decline", data={"reason": "I barely know Dee."})
    assert count_events(app, intro_id, "declined") == 1
    ann = login(members(world, a)[0], "reseau")
    html = page(ann, f"/introductions/{intro_id}")
    assert 'data-status="declined"' in html
    assert "Cyd Relay" not in html
    assert "Send it along another chain" in html
    assert "I barely know Dee." in page(bob, f"/introductions/{intro_id}")  # upstream
    # No other chain exists: the retry is refused with a message, nothing changes.
    response = ann.post(f"/introductions/{intro_id}/retry", follow_redirects=True)
    assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    assert status_of(app, intro_id) == "declined"


def test_stepwise_target_sees_only_their_neighbour(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "academia")
    intro_id = ask(world, a, d)
    for relay in (b, c):
        world.call(services.forward_introduction, relay, intro_id)
    dee = login(members(world, d)[0], "academia")
    html = page(dee, f"/introductions/{intro_id}")
    assert "Cyd Relay" in html and "Bob Relay" not in html and "Ann Requester" in html


def test_advise_and_withdraw(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    first = ask(world, a, d)
    ann = login(members(world, a)[0], "acme")
    assert ann.post(f"/introductions/{first}/withdraw").status_code == 303
    assert status_of(app, first) == "withdrawn"
    second = ask(world, a, c)
    bob = login(members(world, b)[0], "acme")
    bob.post(f"/introductions/{second}/advise", data={"advice": "Meet Cyd at the Friday demo."})
    assert status_of(app, second) == "advised"
    assert "Meet Cyd at the Friday demo." in page(ann, f"/introductions/{second}")
    # Only the holder can act: Ann's forward is refused, nothing is recorded.
    ann.post(f"/introductions/{second}/forward", data={"note": "", "vouch": ""})
    assert count_events(app, second, "forwarded") == 0


def test_outsiders_and_other_instances_get_404(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "reseau")
    intro_id = ask(world, a, d)
    stranger = login(members(world, world.member("Stranger", locale="en"))[0], "reseau")
    assert stranger.get(f"/introductions/{intro_id}").status_code == 404
    assert stranger.post(f"/introductions/{intro_id}/forward").status_code == 404
    other = World(app, create_member, slug="acme")
    foreigner = login(members(other, other.member("Foreigner", locale="en"))[0], "acme")
    actions = ("forward", "reroute", "decline", "advise", "accept", "reject", "thank",
               "withdraw", "retry")
    for client in (stranger, foreigner):
        assert client.get(f"/introductions/{intro_id}").status_code == 404
        for action in actions:
            answer = client.post(f"/introductions/{intro_id}/{action}",
                                 data={"note": "x", "advice": "x", "message": "x"})
            assert answer.status_code == 404, (action, answer.status_code)
    assert foreigner.get(f"/members/{d}/introduce").status_code == 404
    assert foreigner.get(f"/members/{d}/message").status_code == 404
    assert status_of(app, intro_id) == "in_progress"


def test_statistics_page_is_for_admins(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    intro_id = ask(world, a, d)
    for relay in (b, c):
        world.call(services.forward_introduction, relay, intro_id)
    world.call(services.accept_introduction, d, intro_id)
    member = login(members(world, a)[0], "acme")
    assert member.get("/admin/statistics").status_code == 403
    admin = login(members(world, world.member("Admin", role="admin", locale="en"))[0], "acme")
    html = page(admin, "/admin/statistics")
    assert "Success rate by chain length" in html and "Drop-off per hop" in html
    assert "<table" in html and "100 %" in html
    assert "Introduction statistics" in page(admin, "/introductions")
    # The old address leads to the dashboard.
    moved = admin.get("/admin/introductions/stats")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/admin/statistics")


def test_statistics_are_in_the_menu_of_staff_only(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    link = 'href="/admin/statistics">Statistics</a>'
    member = login(members(world, a)[0], "acme")
    assert link not in page(member, "/introductions")
    for role in ("moderator", "admin"):
        staff = login(members(world, world.member(role, role=role, locale="en"))[0], "acme")
        assert link in page(staff, f"/members/{a}")  # the menu of any page
        assert "Drop-off per hop" in page(staff, "/admin/statistics")


def test_link_count_agrees_with_the_number(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    ann = login(members(world, a)[0], "acme")
    assert "Dee Target is 3 links away from you." in page(ann, f"/members/{d}/introduce")
    world.update(c, contact_policy={"direct": "nobody", "introductions": True,
                                    "purposes": ["advice"], "max_hops": 6})
    cyd_page = page(login(members(world, b)[0], "acme"), f"/members/{c}/introduce")
    assert "Cyd Relay is 1 link away from you." in cyd_page


def test_profile_says_why_instead_of_offering_a_dead_end(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    lone = world.member("Lone Island", locale="en")
    ann = login(members(world, a)[0], "acme")
    assert f'href="/members/{d}/introduce"' in page(ann, f"/members/{d}")
    html = page(ann, f"/members/{lone}")
    assert f'href="/members/{lone}/introduce"' not in html
    assert "No chain of contacts reaches Lone Island at the moment" in html
    # A relay who stops relaying cuts the only chain.
    world.update(c, relaying="off")
    html = page(ann, f"/members/{d}")
    assert f'href="/members/{d}/introduce"' not in html and "No chain of contacts" in html
    world.update(c, relaying="open")
    world.update(d, contact_policy={"direct": "nobody", "introductions": False,
                                    "purposes": ["advice"], "max_hops": 6})
    html = page(ann, f"/members/{d}")
    assert f'href="/members/{d}/introduce"' not in html
    assert "Dee Target does not accept introduction requests." in html


def test_french_pages_render(app, create_member, login):
    world = World(app, create_member, slug="reseau")
    a, b, d = world.member("Anne"), world.member("Bruno"), world.member("Denise")
    world.chain(a, b, d)
    intro_id = ask(world, a, d)
    client = login(members(world, a)[0], "reseau")
    assert "Mes mises en relation" in page(client, "/introductions")
    assert page(client, f"/introductions/{intro_id}")


def test_out_of_range_numbers_are_not_errors(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    intro_id = ask(world, a, d)
    requester, relay = (login(members(world, m)[0], "acme") for m in (a, b))
    huge = "9" * 20
    assert requester.get(f"/introductions/{huge}").status_code == 404
    assert requester.post(f"/introductions/{huge}/withdraw").status_code == 404
    assert requester.get(f"/introductions?page={huge}").status_code == 200
    answer = relay.post(f"/introductions/{intro_id}/reroute", data={"to_member_id": huge})
    assert answer.status_code == 303
    assert status_of(app, intro_id) == "in_progress"


def test_messages_page_lists_sent_and_received(app, create_member, login):
    from maillon.introductions import services as intro_services
    from tests.introductions.world import World

    world = World(app, create_member, slug="acme")
    alice, bob, eve = world.members("Alice Ames", "Bob Berg", "Eve Evans")
    world.connect(alice, bob)
    world.call(intro_services.send_direct_message, alice, bob, "Lunch on Friday?")
    world.call(intro_services.send_direct_message, bob, alice, "Gladly <b>yes</b>")
    with app.app_context():
        bob_row = world.get(bob)
        eve_row = world.get(eve)
    page = login(bob_row, "acme").get("/messages").get_data(as_text=True)
    assert "Lunch on Friday?" in page and "From Alice Ames" in page
    assert "Gladly &lt;b&gt;yes&lt;/b&gt;" in page and "To Alice Ames" in page
    assert f"/members/{alice}/message" in page  # reply
    other = login(eve_row, "acme").get("/messages").get_data(as_text=True)
    assert "Lunch on Friday?" not in other


def _section(html: str, start: str, end: str = "</section>") -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_relay_page_forwards_first_and_folds_the_other_choices(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    e = world.member("Eva Other", locale="en")
    world.chain(b, e, d, trust=3)
    intro_id = ask(world, a, d)
    bob = login(members(world, b)[0], "acme")
    actions = _section(page(bob, f"/introductions/{intro_id}"), 'id="actions-heading"')
    assert "Your move" in actions
    primary, folded = actions.split('<details class="other-actions">', 1)
    assert "Pass it on" in primary and "Next: Cyd Relay" in primary
    assert primary.count("<form") == 1  # forwarding is the one action in view
    for choice in ("Pass it to someone else", "Advise instead", "Decline to relay"):
        assert choice in folded and choice not in primary
    # The reroute options do not offer Cyd again: "Forward" already sends it to him.
    options = _section(folded, "<fieldset>", "</fieldset>")
    assert "Eva Other" in options and "Cyd Relay" not in options


def test_your_move_only_for_whoever_must_act(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    intro_id = ask(world, a, d)
    ann = login(members(world, a)[0], "acme")
    html = page(ann, f"/introductions/{intro_id}")
    assert "Withdraw my request" in html and "Your move" not in html
    assert "What you can do" in html
    assert "Your turn" not in page(ann, "/introductions?tab=sent")
    cyd = login(members(world, c)[0], "acme")  # next in the chain, not holding it yet
    assert "Your turn" not in page(cyd, "/introductions?tab=relaying")
    bob = login(members(world, b)[0], "acme")
    assert "Your move" in page(bob, f"/introductions/{intro_id}")


def test_the_tab_where_something_waits_opens_first(app, create_member, login):
    world, (a, b, c, d) = community(app, create_member, "acme")
    bob = login(members(world, b)[0], "acme")
    assert 'aria-current="page" class="current">Sent' in page(bob, "/introductions")
    intro_id = ask(world, a, d)
    html = page(bob, "/introductions")
    assert 'aria-current="page" class="current">To relay' in html
    assert "From Ann Requester to Dee Target" in html and "Your turn" in html
    assert 'class="badge badge-count tab-count" aria-hidden="true">1<' in html
    # A tab asked for by name stays chosen.
    assert 'aria-current="page" class="current">Sent' in page(bob, "/introductions?tab=sent")
    for relay in (b, c):
        world.call(services.forward_introduction, relay, intro_id, note="", vouch="")
    dee = login(members(world, d)[0], "acme")
    assert 'aria-current="page" class="current">Received' in page(dee, "/introductions")


def test_search_offers_get_introduced_only_where_a_chain_reaches(app, create_member, login,
                                                                 run_jobs):
    world, (a, b, c, d) = community(app, create_member, "acme")
    world.member("Lone Island", locale="en")  # connected to nobody
    run_jobs()  # the search index
    ann = login(members(world, a)[0], "acme")

    def offered() -> set[int]:
        found: set[int] = set()
        for name in ("Bob", "Cyd", "Dee", "Lone"):
            html = page(ann, f"/search?q={name}")
            assert "1 person found" in html
            found |= {int(x) for x in re.findall(r'href="/members/(\d+)/introduce"', html)}
        return found

    # Dee is reached through Bob and Cyd; Lone is connected to nobody; Cyd is reached through
    # Bob, and Bob (a first-degree contact) is written to directly, not introduced.
    assert offered() == {c, d}
    # A relay who stops relaying cuts Dee's only chain: the results stop offering it, as the
    # profile does.
    world.update(c, relaying="off")
    assert offered() == {c}
    # Bob, their only shared contact, stops relaying: Cyd is out of reach too.
    world.update(b, relaying="off")
    assert offered() == set()
    world.update(b, relaying="open")
    world.update(c, relaying="open")
    world.update(d, contact_policy={"direct": "nobody", "introductions": False,
                                    "purposes": ["advice"], "max_hops": 6})
    assert offered() == {c}
