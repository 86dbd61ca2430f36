"""The opportunities list in Chromium (issue 12's leftovers): the posting time reads as a date,
without the seconds, and at 390 px the "Post an opportunity" button keeps its distance from
the line under it; in English and French, at 1280 and 390 px (screenshots under
artifacts/)."""

from __future__ import annotations

import re

import pytest

from maillon.db import db, utcnow
from tests.browser.conftest import ARTIFACTS, _log_in
from tests.opportunities.world import OppWorld

pytestmark = pytest.mark.browser
SLUG = "acme"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CLOCK = re.compile(r"\d:\d\d")  # a time of day (with or without its seconds)
MIN_GAP = 8  # px between the button and the line under it


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_list_shows_a_date_and_the_button_does_not_touch_the_hint(
        app, create_member, live_server, browser, locale):
    world = OppWorld(app, create_member, SLUG)
    poster = world.member("Rosa Poster", email_verified_at=utcnow(), locale=locale)
    world.post(poster, title="Data engineer for our robotics line")
    with app.app_context():
        db.session.commit()
        email = world.get(poster).email
    page = _log_in(browser, f"http://{SLUG}.localhost:{live_server}", email)
    page.goto(f"http://{SLUG}.localhost:{live_server}/opportunities")
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        hint = page.locator("main li.card p.hint").first.inner_text()
        posted = page.locator("main li.card time").first
        assert not CLOCK.search(posted.inner_text()), hint
        assert str(utcnow().year) in posted.inner_text()
        assert posted.get_attribute("datetime")  # the exact moment stays in the markup
        button = page.get_by_role("link", name=re.compile(
            "Post an opportunity|Publier une opportunité")).bounding_box()
        under = page.locator("main > p.hint").first.bounding_box()
        assert button and under
        assert under["y"] - (button["y"] + button["height"]) >= MIN_GAP, (name, button, under)
        page.screenshot(path=str(ARTIFACTS / f"opportunities-list-{locale}-{name}.png"),
                        full_page=True)
    page.context.close()
