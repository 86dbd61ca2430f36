"""Every page of the three demo instances (logged out, as a member, as an administrator), at
1280 and 390 px, in Chromium: no serious or critical axe-core violation, no repeated id, no
label pointing at nothing; and a visible focus ring on every theme."""

from __future__ import annotations

import re
from typing import Any

import pytest

from maillon.db import db
from maillon.demo.services import DEMO_PASSWORD, demo_logins, load_demo
from tests.browser.a11y import problems
from tests.browser.conftest import _log_in_on

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)
DEMO_MEMBERS = 120  # enough for chains, so that introductions exist in every state


def _context(browser: Any) -> Any:
    # axe is injected as an inline script, which the site's CSP rightly forbids.
    return browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, bypass_csp=True)


def _links(page: Any, pattern: str) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)")
    return list(dict.fromkeys(h for h in hrefs if re.search(pattern, h)))


class Walk:
    """Visits pages and records what is wrong with each, at both widths."""

    def __init__(self, page: Any) -> None:
        self.page, self.found, self.seen = page, {}, []

    def check(self, url: str, allowed: tuple[int, ...] = (200,)) -> None:
        page = self.page
        response = page.goto(url)
        assert response is not None and response.status in allowed, (url, response and
                                                                      response.status)
        self.seen.append(page.url)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for problem in problems(page):
                self.found.setdefault(f"{page.url} @{width}px", []).append(problem)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.fixture
def demo(app: Any) -> dict[str, dict[str, str]]:
    """The three instances with a small demo community each; their demo logins by role."""
    from sqlalchemy import select

    from maillon.tenancy.models import Instance

    logins: dict[str, dict[str, str]] = {}
    with app.app_context():
        for instance in db.session.scalars(select(Instance)).all():
            load_demo(db.session, instance, members=DEMO_MEMBERS)
        for slug in ("academia", "acme", "reseau"):
            logins[slug] = {}
            for email, role in demo_logins(db.session, slug):
                logins[slug].setdefault(role, email)
        db.session.commit()
    return logins


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_every_page_passes_axe_at_both_widths(slug, demo, live_server, browser, axe):
    base = f"http://{slug}.localhost:{live_server}"
    context = _context(browser)
    walk = Walk(context.new_page())

    for path in ("/", "/login", "/register", "/forgot-password", "/verify", "/members",
                 "/search?q=a"):
        walk.check(base + path)

    _log_in_on(walk.page, base, demo[slug]["member"], DEMO_PASSWORD)
    assert walk.page.locator("form[action$='/logout']").count() == 1, walk.page.url
    page = walk.page
    walk.check(f"{base}/")
    me = page.locator("nav a[href*='/members/']").first.get_attribute("href")
    for path in (me, "/profile/edit", "/profile/experiences/new", "/profile/education/new",
                 "/members", "/search", "/search?q=a", "/network", "/recommendations",
                 "/introductions", "/introductions?tab=sent", "/introductions?tab=relaying",
                 "/introductions?tab=received", "/notifications", "/settings/notifications",
                 "/messages", "/settings/federation", "/organisations",
                 "/organisations/new"):
        walk.check(base + path)
    # an experience to edit, a connection to rate, introductions in each tab, other people
    walk.check(base + "/profile/edit")
    for link in _links(page, r"/profile/experiences/\d+/edit$")[:1]:
        walk.check(link)
    walk.check(base + "/network")
    for link in _links(page, r"/network/connections/\d+/trust$")[:1]:
        walk.check(link)
    details = []
    for tab in ("sent", "relaying", "received"):
        page.goto(f"{base}/introductions?tab={tab}")
        details += _links(page, r"/introductions/\d+$")[:2]
    assert details, "the demo gives the persona introductions to look at"
    for link in dict.fromkeys(details):
        walk.check(link)
    page.goto(f"{base}/members")
    others = [h for h in _links(page, r"/members/\d+$") if not h.endswith(me)][:2]
    for other in others:
        for suffix in ("", "/introduce", "/recommend", "/message"):
            walk.check(other + suffix)
        walk.check(other + "/contacts", allowed=(200, 403))  # the error page, if hidden
    context.close()

    context = _context(browser)
    walk.page = context.new_page()
    _log_in_on(walk.page, base, demo[slug]["admin"], DEMO_PASSWORD)
    assert walk.page.locator("form[action$='/logout']").count() == 1, walk.page.url
    for path in ("/", "/admin/approvals", "/admin/statistics", "/moderation",
                 "/admin/audit", "/moderation/sanctions", "/moderation/appeals",
                 "/account/sanctions", "/admin/federation", "/admin/policies",
                 "/admin/appearance"):
        walk.check(base + path)
    walk.check(base + "/admin/audit?since=not-a-date", allowed=(422,))  # the errors shown
    persona = me.rstrip("/").rsplit("/", 1)[-1]  # the member persona: a page to moderate
    walk.check(f"{base}/moderation/members/{persona}")
    walk.page.goto(f"{base}/organisations")
    for link in _links(walk.page, r"/organisations/\d+$")[:1]:  # an admin manages any of them
        for suffix in ("", "/edit", "/claims", "/reach"):
            walk.check(link + suffix)
    context.close()

    assert len(walk.seen) >= 30
    assert not walk.found, "\n".join(f"{url}:\n  " + "\n  ".join(items)
                                     for url, items in walk.found.items())


_FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= .03928 ? v / 12.92
      : Math.pow((v + .055) / 1.055, 2.4); }; return .2126 * f(r) + .7152 * f(g) + .0722 * f(b); };
  let bg = null;
  for (let n = el.parentElement; n && !bg; n = n.parentElement) {  // the ring is outside el
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
  }
  bg = bg || [255, 255, 255];
  const a = lum(rgb(style.outlineColor).slice(0, 3)), b = lum(bg);
  return {tag: el.tagName, text: (el.innerText || el.name || '').trim().slice(0, 30),
          style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          contrast: (Math.max(a, b) + .05) / (Math.min(a, b) + .05)};
}"""


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])  # the three themes
def test_keyboard_focus_is_visible_on_every_theme(slug, app, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    faint = []
    for path in ("/", "/login"):
        page.goto(f"http://{slug}.localhost:{live_server}{path}")
        for _ in range(12):
            page.keyboard.press("Tab")
            ring = page.evaluate(_FOCUS_RING)
            if ring["tag"] == "BODY":
                continue
            if ring["style"] in ("none", "auto") or ring["width"] < 2 or ring["contrast"] < 3:
                faint.append((path, ring))
    page.close()
    assert not faint, faint
