"""A member's home after logging in, in Chromium: Bob finds the request he must relay at the
top, opens it, sees forwarding first and the other choices folded, passes it on; Ann's home
then shows her request with the second link since today, without naming who holds it. Both
pages pass axe-core at 1280 and 390 px; screenshots are saved under artifacts/."""

import re

import pytest

from maillon.introductions import services
from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in
from tests.introductions.world import MESSAGE, World

pytestmark = pytest.mark.browser
SLUG = "acme"  # first_link: Ann sees only Bob, her own contact


def _accessible(page, name):
    found = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"browser-{name}-{width}.png"), full_page=True)
        found += problems(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not found, found


def test_home_leads_the_relay_to_the_request_and_shows_the_requester_its_progress(
        app, create_member, live_server, browser, axe):
    world = World(app, create_member, slug=SLUG)
    people = [create_member(SLUG, name=name, locale="en") for name in (
        "Ann Requester", "Bob Relay", "Cyd Relay", "Dee Target", "Eva Other")]
    email = {p.id: p.email for p in people}
    ann, bob, cyd, dee, eva = (p.id for p in people)
    world.chain(ann, bob, cyd, dee, trust=4)
    world.chain(bob, eva, dee, trust=3)
    intro = world.call(services.request_introduction, ann, dee, message=MESSAGE,
                       purpose="advice")
    assert intro.path == [ann, bob, cyd, dee]
    base = f"http://{SLUG}.localhost:{live_server}"

    page = _log_in(browser, base, email[bob], bypass_csp=True)
    assert page.url.rstrip("/") == base  # home, after logging in
    waiting = page.locator(".dashboard-waiting")
    assert "Relay Ann Requester's request to meet Dee Target" in waiting.inner_text()
    assert waiting.locator(".your-turn").count() == 1
    _accessible(page, "home-relay")
    waiting.locator(".todo-introduction a").click()
    page.wait_for_url(re.compile(rf"/introductions/{intro.id}$"))
    assert page.locator("form[action$='/forward']").is_visible()
    assert "Next: Cyd Relay" in page.locator("form[action$='/forward']").inner_text()
    assert not page.locator("form[action$='/decline']").is_visible()  # folded
    page.click("details.other-actions > summary")
    options = page.locator("form[action$='/reroute'] fieldset")
    assert options.is_visible() and page.locator("form[action$='/decline']").is_visible()
    assert "Eva Other" in options.inner_text() and "Cyd Relay" not in options.inner_text()
    _accessible(page, "relay-page")
    page.fill("form[action$='/forward'] textarea[name=note]", "Cyd, Ann is serious.")
    page.click("form[action$='/forward'] button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/")
    assert "Nothing waits for you" in page.locator(".dashboard-waiting").inner_text()
    page.context.close()

    page = _log_in(browser, base, email[ann], bypass_csp=True)
    progress = page.locator(".dashboard-progress").inner_text()
    assert "To Dee Target" in progress and "With link 2 of 3" in progress
    assert "since today" in progress and "Cyd Relay" not in progress
    assert page.locator(".dashboard-waiting .your-turn").count() == 0
    _accessible(page, "home-requester")
    page.context.close()
