"""Organisations in Chromium on the academia demo: Claire Dubois (a doctoral student at the
Université Lumière Rhône, confirmed by her address) finds the IBV lab, asks "who among us can
introduce us to the IBV lab?" and gets her colleagues ranked by chain success; then she opens
her university's reach. Axe-clean at 1280 and 390 px; screenshots under artifacts/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.demo.services import DEMO_PASSWORD, load_demo
from maillon.tenancy.models import Instance
from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in

pytestmark = pytest.mark.browser
SLUG = "academia"
CLAIRE = "claire.dubois@univ-lumiere.example.fr"
WIDTHS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})


@pytest.fixture
def demo(app):
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == SLUG))
        load_demo(db.session, instance)
        db.session.commit()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", WIDTHS, ids=["1280", "390"])
def test_who_among_us_can_introduce_us_to_the_ibv_lab(demo, live_server, browser, axe, viewport):
    base = f"http://{SLUG}.localhost:{live_server}"
    page = _log_in(
        browser, base, CLAIRE, password=DEMO_PASSWORD, viewport=viewport, bypass_csp=True
    )
    width = viewport["width"]
    page.goto(f"{base}/organisations?q=IBV")
    assert problems(page) == []
    page.click("main .org-card h2 a")
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    assert "IBV" in page.locator("h1").inner_text()
    assert problems(page) == []
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / f"organisation-ibv-{width}.png"), full_page=True)

    ask = page.locator("section.ask-introducers")
    assert "IBV" in ask.locator("h2").inner_text()
    assert ask.locator("select[name=org] option").first.inner_text() == ("Université Lumière Rhône")
    ask.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/organisations/\d+/introducers\?target_organisation_id="))
    ranked = page.locator("ol.introducers > li")
    assert ranked.count() >= 3
    chances = [int(m) for m in re.findall(r"(\d+)\s%", page.locator("ol.introducers").inner_text())]
    assert chances and chances == sorted(chances, reverse=True)
    assert problems(page) == []
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / f"organisation-introducers-{width}.png"), full_page=True)

    page.goto(f"{base}/organisations")
    page.fill("#org-q", "Lumière Rhône")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"q=Lumi"))
    assert page.locator("main .org-card").count() == 1
    page.click("main .org-card h2 a")
    page.click("a[href$='/reach']")
    page.wait_for_url(re.compile(r"/organisations/\d+/reach$"))
    numbers = [
        int(n.replace("\u202f", "").replace("\xa0", ""))
        for n in page.locator(".reach-number").all_inner_texts()
    ]
    assert len(numbers) == 3 and numbers[1] > 0
    assert page.locator("table.reach-table").count() >= 2
    assert problems(page) == []
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / f"organisation-reach-{width}.png"), full_page=True)
    page.context.close()
