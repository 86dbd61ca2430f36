"""At 390 px in Chromium: a compact header whose menu folds behind a button, and search filters
above the results rather than after them."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import _log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])  # the three themes
def test_the_header_is_one_compact_bar_with_a_menu_button(slug, app, create_member,
                                                           live_server, browser):
    member = create_member(slug, name="Mina Mobile")
    page = _log_in(browser, f"http://{slug}.localhost:{live_server}", member.email, viewport=PHONE)
    header = page.locator(".site-header .header-inner").bounding_box()
    assert header["height"] <= 80  # the brand and the button, on one line
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator(".site-nav").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(".site-nav a[href$='/network']").is_visible()
    assert page.locator("form[action$='/logout'] button").is_visible()
    page.set_viewport_size({"width": 1280, "height": 900})  # wide: no button, the menu shown
    assert not toggle.is_visible() and page.locator(".site-nav").is_visible()
    page.close()


def test_search_filters_come_before_the_results(app, create_member, live_server, browser):
    for n, (city, company) in enumerate([("Lyon", "Acme Lyon"), ("Lyon", "Acme Lyon"),
                                         ("Paris", "Acme Paris"), ("Madrid", "Acme Madrid")]):
        create_member("acme", name=f"Sales Person {n}", headline="Sales manager",
                      location=city, organisation=company, skills=["negotiation"])
    viewer = create_member("acme", name="Vera Viewer")
    base = f"http://acme.localhost:{live_server}"
    page = _log_in(browser, base, viewer.email, viewport=PHONE)
    for _ in range(100):  # the jobs worker indexes the new members
        page.goto(f"{base}/search?q=sales")
        if page.locator(".results .member-card").count() >= 4:
            break
        time.sleep(0.1)
    facets = page.locator(".facets").bounding_box()
    first = page.locator(".results .member-card").first.bounding_box()
    assert facets["y"] < first["y"]
    assert facets["y"] + facets["height"] <= PHONE["height"]  # reachable without scrolling
    assert page.locator(".facets a[href*='location=Lyon']").is_visible()
    page.close()


def _page_width(page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def test_staff_tables_and_long_names_never_widen_the_page(app, create_member, live_server,
                                                          browser):
    """Tables scroll inside their own region (the audit log, sanctions); the photo field and a
    long option never push the page past 390 px (each of these did, in French or English)."""
    from datetime import timedelta

    from maillon.db import db, utcnow
    from maillon.moderation.sanctions import impose_sanction
    from tests.federation.conftest import instance_row, member_row

    admin = create_member("reseau", name="Adèle Admin", role="admin")
    member = create_member("reseau", name="Maximilien-Alexandre de La Tour-Dupont-Verrier")
    with app.app_context():
        impose_sanction(db.session, instance_row("reseau"), member_row(admin.id), member.id,
                        "suspend", reason="Des dizaines de demandes de connexion en une heure, "
                        "envoyées à des inconnus avec le même message publicitaire.",
                        until=utcnow() + timedelta(days=14))
    base = f"http://reseau.localhost:{live_server}"
    page = _log_in(browser, base, admin.email, viewport=PHONE)
    for path in ("/admin/audit", "/moderation/sanctions", "/profile/edit"):
        page.goto(f"{base}{path}")
        assert _page_width(page) <= PHONE["width"], path
    page.goto(f"{base}/moderation/sanctions")
    region = page.locator(".table-scroll")
    assert region.count() == 1 and region.get_attribute("role") == "region"
    page.close()
