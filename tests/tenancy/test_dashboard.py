"""The home page of a logged-in member: what waits for them (requests to relay or answer,
invitations, recommendations to approve or write), answers to their requests, how far their
requests have gone (a position and since when, never a name the requester may not know), and
people they may know (never through a contact list they may not read, nor a hidden profile)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.introductions import services as introductions
from maillon.introductions.models import IntroductionEvent
from maillon.network import recommendations
from maillon.network.services import request_connection
from tests.introductions.world import MESSAGE, World

TEXT = "A careful colleague who explains hard things simply and always delivers on time."


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def home(login, world, member_id) -> str:
    with world.app.app_context():
        member = world.get(member_id)
        db.session.expunge(member)
    response = login(member).get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def ask(world, requester, target):
    return world.call(introductions.request_introduction, requester, target, message=MESSAGE,
                      purpose="advice")


def test_anonymous_home_is_the_public_page(client_for):
    page = client_for("acme").get("/").get_data(as_text=True)
    assert 'href="/register"' in page and "Waiting for you" not in page


def test_home_lists_what_waits_for_the_member(world, login):
    me, requester, target, inviter, author, asker = (world.member(n, locale="en") for n in (
        "Mia Home", "Rob Requester", "Tia Target", "Ivo Inviter", "Ada Author", "Ash Asker"))
    world.chain(requester, me, target)
    world.connect(me, author)
    world.connect(me, asker)
    ask(world, requester, target)  # Mia holds it: hers to relay
    world.call(request_connection, inviter, me, "Hello")
    world.call(recommendations.write_recommendation, author, me, relationship="same_team",
               text=TEXT)
    world.call(recommendations.request_recommendation, asker, me)
    page = home(login, world, me)
    assert "Relay Rob Requester's request to meet Tia Target" in page
    assert "Your turn" in page
    assert "Ivo Inviter invited you to connect." in page
    assert "Ada Author recommended you" in page
    assert "Ash Asker asks you for a recommendation." in page
    # The requester, who does not hold it, has nothing waiting and no "Your turn".
    page = home(login, world, requester)
    assert "Nothing waits for you" in page and "Your turn" not in page


def test_home_shows_answers_to_the_members_requests(world, login):
    me, relay, target = (world.member(n, locale="en") for n in ("Mia", "Ray", "Tom Target"))
    world.chain(me, relay, target)
    intro = ask(world, me, target)
    world.call(introductions.forward_introduction, relay, intro.id, note="", vouch="")
    assert "Tom Target accepted" not in home(login, world, me)
    world.call(introductions.accept_introduction, target, intro.id, message="Gladly")
    assert "Tom Target accepted your introduction." in home(login, world, me)


def _four_links(world):
    """Ann – Bob – Cyd – Dan – Eve; Ann asks for Eve and Bob passes it to Cyd."""
    ids = [world.member(n, locale="en") for n in ("Ann", "Bob Relay", "Cyd Relay",
                                                    "Dan Relay", "Eve Target")]
    world.chain(*ids, trust=4)
    intro = ask(world, ids[0], ids[4])
    world.call(introductions.forward_introduction, ids[1], intro.id, note="", vouch="")
    return ids, intro


def _since(world, intro_id, days):
    """Move the forward to Cyd ``days`` days back (and the request a day before it)."""
    with world.app.app_context():
        for event in db.session.scalars(select(IntroductionEvent).where(
                IntroductionEvent.introduction_id == intro_id)):
            back = days + (1 if event.kind == "requested" else 0)
            event.created_at -= timedelta(days=back)
        db.session.commit()


@pytest.mark.parametrize("mode", ["stepwise", "first_link"])
def test_requester_sees_the_position_not_a_name_they_may_not_know(world, login, mode):
    world.set_policy(**{"introductions.chain_visibility": mode})
    ids, intro = _four_links(world)
    _since(world, intro.id, 1)
    page = home(login, world, ids[0]).split('id="progress-heading"')[1].split("</section>")[0]
    assert "With link 2 of 4" in page and "since yesterday" in page
    assert "Cyd Relay" not in page and "Dan Relay" not in page


def test_requester_sees_the_name_where_the_chain_is_shown(world, login):
    world.set_policy(**{"introductions.chain_visibility": "full"})
    ids, intro = _four_links(world)
    page = home(login, world, ids[0])
    assert "With Cyd Relay, link 2 of 4" in page and "since today" in page


def test_people_you_may_know_only_through_readable_contact_lists(world, login):
    me = world.member("Mia", locale="en")
    open_contact = world.member("Olga Open")
    closed = world.member("Carl Closed", visibility={"in_directory": True,
                                                     "contacts_visible_to": "nobody"})
    via_open, via_closed, via_both = (world.member(n) for n in (
        "Vic Viaopen", "Val Viaclosed", "Bea Viaboth"))
    hidden = world.member("Hal Hidden", visibility={"in_directory": False,
                                                    "contacts_visible_to": "connections"})
    world.connect(me, open_contact)
    world.connect(me, closed)
    for other in (via_open, via_both, hidden):
        world.connect(open_contact, other)
    for other in (via_closed, via_both):
        world.connect(closed, other)
    page = home(login, world, me)
    section = page.split('id="suggestions-heading"')[1]
    assert "Vic Viaopen" in section and "Bea Viaboth" in section
    assert "Val Viaclosed" not in section  # known only through Carl's hidden list
    assert "Hal Hidden" not in section  # out of the directory
    assert "2 shared connections" not in section  # Bea's link to Carl is not counted
    assert section.count("1 shared connection") == 2


def test_people_you_may_know_leave_out_pending_invitations(world, login):
    me, contact, other = (world.member(n, locale="en") for n in ("Mia", "Cy", "Pat Pending"))
    world.connect(me, contact)
    world.connect(contact, other)
    assert "Pat Pending" in home(login, world, me).split('id="suggestions-heading"')[1]
    world.call(request_connection, me, other)
    assert "Pat Pending" not in home(login, world, me).split('id="suggestions-heading"')[1]
