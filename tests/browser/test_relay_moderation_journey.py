"""Relay moderation in Chromium: a new member's first request is held ("waiting for review"),
a moderator finds it in the queue from /moderation, reads its trail and approves it, and the
first relay finds it waiting; a second case is blocked and the requester reads why, in French.
Screenshots at 1280 and 390 px are saved under artifacts/."""

import re

import pytest

from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in
from tests.introductions.world import World

pytestmark = pytest.mark.browser
SLUG = "reseau"
MESSAGE = ("Hello Tom, I am new here and would like your advice on research funding; I can "
           "share my notes on grant writing in return.")
REASON = "Introductions are not for selling courses: see the community rules."
PHONE = {"width": 390, "height": 844}


def _ask(page, base, target_id):
    page.goto(f"{base}/members/{target_id}")
    page.click(f"a[href$='/members/{target_id}/introduce']")
    page.wait_for_url(re.compile(rf"/members/{target_id}/introduce$"))
    page.check("input[name=chain][value='0']")
    page.select_option("select[name=purpose]", "advice")
    page.fill("textarea[name=message]", MESSAGE)
    page.click("form.intro-request button[type=submit]")
    page.wait_for_url(re.compile(r"/introductions/\d+$"))
    return page.url


def _fits(page):
    """Nothing wider than the window (no sideways scrolling of the page itself)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_first_request_held_approved_then_travels(app, create_member, live_server, browser,
                                                  axe):
    world = World(app, create_member, slug=SLUG)
    world.set_policy(**{"introductions.review_first_requests": 1})
    rosa = create_member(SLUG, name="Rosa Newcomer", locale="en")
    anna = create_member(SLUG, name="Anna Relay", locale="en")
    tom = create_member(SLUG, name="Tom Target", locale="en")
    mona = create_member(SLUG, name="Mona Moderator", role="moderator", locale="en")
    world.chain(rosa.id, anna.id, tom.id, trust=4)
    base = f"http://{SLUG}.localhost:{live_server}"

    page = _log_in(browser, base, rosa.email, bypass_csp=True)
    detail = _ask(page, base, tom.id)
    assert page.locator("[data-status=held]").count() == 1
    assert "Waiting for review" in page.content()
    page.context.close()

    relay = _log_in(browser, base, anna.email)
    relay.goto(f"{base}/introductions?tab=relaying")
    assert relay.locator(".intro-item").count() == 0  # nobody is handed it yet
    relay.context.close()

    for viewport, name in ((None, "desktop"), (PHONE, "phone")):
        staff = _log_in(browser, base, mona.email, viewport=viewport, bypass_csp=True)
        staff.goto(f"{base}/moderation")
        staff.click("text=Introductions to review")
        staff.wait_for_url(re.compile(r"/moderation/introductions$"))
        assert staff.locator(".review-held li").count() == 1
        assert not problems(staff), problems(staff)
        _fits(staff)
        staff.screenshot(path=str(ARTIFACTS / f"browser-relay-queue-{name}.png"),
                         full_page=True)
        staff.click(".review-held a")
        staff.wait_for_url(re.compile(r"/moderation/introductions/\d+$"))
        assert "Under review" in staff.content() and MESSAGE in staff.content()
        assert not problems(staff), problems(staff)
        _fits(staff)
        staff.screenshot(path=str(ARTIFACTS / f"browser-relay-trail-{name}.png"),
                         full_page=True)
        if name == "phone":
            staff.click("form[action$='/approve'] button[type=submit]")
            staff.wait_for_load_state()
            assert "Approved: the request is on its way." in staff.content()
            assert staff.locator("[data-status=in_progress]").count() == 1
            assert "Anna Relay" in staff.locator(".review-hops").inner_text()
            _fits(staff)  # the hop table scrolls inside its card
            staff.screenshot(path=str(ARTIFACTS / "browser-relay-approved-phone.png"),
                             full_page=True)
        staff.context.close()

    relay = _log_in(browser, base, anna.email)
    relay.goto(f"{base}/introductions?tab=relaying")
    relay.click(".intro-item a")
    relay.wait_for_url(detail)
    assert relay.locator("form[action$='/forward']").count() == 1  # their move now
    relay.context.close()


def test_a_blocked_request_tells_the_requester_why(app, create_member, live_server, browser):
    world = World(app, create_member, slug=SLUG)
    world.set_policy(**{"introductions.review_first_requests": 1})
    rosa = create_member(SLUG, name="Rosa Newcomer", locale="fr")
    anna = create_member(SLUG, name="Anna Relay", locale="en")
    tom = create_member(SLUG, name="Tom Target", locale="en")
    mona = create_member(SLUG, name="Mona Moderator", role="moderator", locale="en")
    world.chain(rosa.id, anna.id, tom.id, trust=4)
    base = f"http://{SLUG}.localhost:{live_server}"

    page = _log_in(browser, base, rosa.email)
    detail = _ask(page, base, tom.id)
    assert "En attente d'examen" in page.content()
    page.context.close()

    staff = _log_in(browser, base, mona.email)
    staff.goto(f"{base}/moderation/introductions")
    staff.click(".review-held a")
    staff.fill("#block-reason", REASON)
    staff.click("form[action$='/block'] button[type=submit]")
    staff.wait_for_load_state()
    assert staff.locator("[data-status=blocked]").count() == 1
    staff.context.close()

    page = _log_in(browser, base, rosa.email, viewport=PHONE)
    page.goto(detail)
    assert "Arrêtée par les modérateurs" in page.content() and REASON in page.content()
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "browser-relay-blocked-phone-fr.png"), full_page=True)
    page.goto(f"{base}/notifications")
    assert REASON in page.content()
    page.context.close()
