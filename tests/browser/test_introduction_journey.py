"""A three-hop introduction in Chromium: Ann asks to meet Dee through Bob and Cyd, Bob and Cyd
pass it on, Dee accepts, and Ann sees it accepted. A screenshot is saved under artifacts/."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS, _log_in
from tests.introductions.world import World

pytestmark = pytest.mark.browser
SLUG = "acme"
MESSAGE = ("Hello Dee, I read your profile: I seek advice on payments platforms and can offer "
           "a review of your API design in return.")


def test_three_hop_introduction_from_request_to_acceptance(app, create_member, live_server,
                                                            browser):
    world = World(app, create_member, slug=SLUG)
    people = {name: create_member(SLUG, name=name, locale="en")
              for name in ("Ann Requester", "Bob Relay", "Cyd Relay", "Dee Target")}
    ann, bob, cyd, dee = people.values()
    world.chain(ann.id, bob.id, cyd.id, dee.id, trust=4)
    base = f"http://{SLUG}.localhost:{live_server}"

    page = _log_in(browser, base, ann.email)
    page.goto(f"{base}/members/{dee.id}")
    page.click("text=Get introduced")
    page.wait_for_url(re.compile(rf"/members/{dee.id}/introduce$"))
    assert page.locator(".chain-choice").count() >= 1
    assert "3 links" in page.locator(".chain-choice").first.inner_text()
    page.check("input[name=chain][value='0']")
    page.select_option("select[name=purpose]", "advice")
    page.fill("textarea[name=message]", MESSAGE)
    assert "characters left" in page.inner_text("#message-count")  # the counter is live
    page.screenshot(path=str(ARTIFACTS / "browser-introduction-request.png"), full_page=True)
    page.click("form.intro-request button[type=submit]")
    page.wait_for_url(re.compile(r"/introductions/\d+$"))
    detail = page.url
    assert page.locator("[data-status=in_progress]").count() == 1
    page.context.close()

    for relay, note in ((bob, "Cyd, Ann is serious."), (cyd, "Dee, worth your time.")):
        page = _log_in(browser, base, relay.email)
        page.click("nav >> text=Introductions")
        page.click("text=To relay")
        page.click(".intro-item a")
        page.wait_for_url(detail)
        page.fill("form[action$='/forward'] textarea[name=note]", note)
        page.click("form[action$='/forward'] button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1
        page.context.close()

    page = _log_in(browser, base, dee.email)
    page.goto(f"{base}/introductions?tab=received")
    page.click(".intro-item a")
    page.wait_for_url(detail)
    assert "Dee, worth your time." in page.content()  # Cyd's private note reached Dee
    page.fill("#accept-message", "Happy to talk, Ann.")
    page.click("form[action$='/accept'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-status=accepted]").count() == 1
    page.context.close()

    page = _log_in(browser, base, ann.email)
    page.goto(detail)
    assert page.locator("[data-status=accepted]").count() == 1
    assert "Happy to talk, Ann." in page.content()
    assert dee.email in page.content()
    page.screenshot(path=str(ARTIFACTS / "browser-introduction-accepted.png"), full_page=True)
    page.context.close()
