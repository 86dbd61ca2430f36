"""An opportunity relayed by ambassadors, in Chromium on acme: a recruiter posts a job for
the organisation; three of its members each relay it to the contact the engine suggests, with
a note; one contact (reading in French) answers "interested", another "not now"; the recruiter
reads the interested one with the vouch, and the "not now" only as a count. Axe-clean at 1280
and 390 px in English and French; screenshots under artifacts/."""

from __future__ import annotations

import re

import pytest

from maillon.db import db, utcnow
from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in
from tests.organisations.world import OrgWorld

pytestmark = pytest.mark.browser
SLUG = "acme"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NOTES = ("Dora, this is the job you described to me.", "Worth a look, Eli.",
         "Fay, they are hiring now.")


def _clean(page):
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        found = problems(page)
        assert not found, (viewport, found)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size(DESKTOP)


def _email(world, member_id):
    with world.app.app_context():
        return world.get(member_id).email


def test_recruiter_posts_three_ambassadors_relay_one_contact_is_interested(
        app, create_member, run_jobs, live_server, browser, axe):
    world = OrgWorld(app, create_member, SLUG)
    recruiter = world.member("Rosa Recruiter", email_verified_at=utcnow(), locale="en",
                             position="Recruiter")
    org = world.organisation(recruiter, "Acme Sales")
    ambassadors = [world.member(n, locale="en")
                   for n in ("Anna Ambassador", "Ben Ambassador", "Cleo Ambassador")]
    contacts = [world.member(n, headline="Account manager", skills=["Salesforce"],
                             location="Lyon", locale=locale)
                for n, locale in (("Dora Contact", "fr"), ("Eli Contact", "en"),
                                  ("Fay Contact", "en"))]
    for ambassador, contact in zip(ambassadors, contacts, strict=True):
        world.join(ambassador, org, role="Sales", confirm_by=recruiter)
        world.connect(ambassador, contact)
    with app.app_context():
        db.session.commit()
    run_jobs()  # the profiles in the search index
    base = f"http://{SLUG}.localhost:{live_server}"

    poster = _log_in(browser, base, _email(world, recruiter), bypass_csp=True)
    poster.click("nav a[href$='/opportunities']")
    poster.wait_for_url(re.compile(r"/opportunities$"))
    poster.click("text=Post an opportunity")
    poster.select_option("select[name=kind]", "job")
    poster.fill("input[name=title]", "Senior account manager, Lyon office")
    poster.fill("textarea[name=text]", "Look after our key customers in the region, with "
                                       "our sales and support teams.")
    poster.fill("input[name=skills]", "Salesforce, negotiation")
    poster.fill("input[name=location]", "Lyon")
    poster.select_option("select[name=organisation_id]", label="For Acme Sales")
    _clean(poster)
    poster.click("main form button[type=submit]")
    poster.wait_for_url(re.compile(r"/opportunities/\d+$"))
    opportunity_url = poster.url
    assert "Your opportunity is posted." in poster.content()

    for ambassador, contact_name, note in zip(
            ambassadors, ("Dora Contact", "Eli Contact", "Fay Contact"), NOTES, strict=True):
        page = _log_in(browser, base, _email(world, ambassador), bypass_csp=True)
        page.click("nav a[href$='/notifications']")
        page.click("text=posted an opportunity for Acme Sales")
        page.wait_for_url(opportunity_url)
        suggestion = page.locator("article.suggestion", has_text=contact_name)
        suggestion.locator("textarea[name=note]").fill(note)
        if ambassador == ambassadors[0]:
            _clean(page)
            page.screenshot(path=str(ARTIFACTS / "opportunity-relay-en.png"), full_page=True)
        suggestion.locator(f"button:has-text('Relay to {contact_name}')").click()
        page.wait_for_load_state()
        assert f"Passed on to {contact_name}." in page.content()
        page.context.close()

    dora = _log_in(browser, base, _email(world, contacts[0]), bypass_csp=True)
    dora.click("nav a[href$='/notifications']")
    dora.click("text=Anna Ambassador pense que cette opportunité est pour vous")
    dora.wait_for_url(opportunity_url)
    assert NOTES[0] in dora.content()
    dora.fill("textarea[name=message]", "Avec plaisir, je suis disponible cette semaine.")
    _clean(dora)
    dora.click("button:has-text('Je suis intéressé·e')")
    dora.wait_for_load_state()
    assert "L’auteur le sait" in dora.content()
    dora.screenshot(path=str(ARTIFACTS / "opportunity-answer-fr.png"), full_page=True)

    eli = _log_in(browser, base, _email(world, contacts[1]), bypass_csp=True)
    eli.goto(opportunity_url)
    eli.click("button:has-text('Not now')")
    eli.wait_for_load_state()

    poster.reload()
    reach = poster.locator("#reach")
    assert "Dora Contact" in reach.inner_text()
    assert f"Passed on by Anna Ambassador: “{NOTES[0]}”" in reach.inner_text() or \
        NOTES[0] in reach.inner_text()
    assert "Avec plaisir, je suis disponible cette semaine." in reach.inner_text()
    assert "Eli Contact" not in poster.content()  # "not now": a count, never a name
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", poster.content()))
    assert (figures["People reached"], figures["Interested"], figures["Not now"]) == (
        "3", "1", "1")
    rows = poster.locator("#reach table tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["Anna Ambassador", "Ben Ambassador",
                                                "Cleo Ambassador"]
    _clean(poster)
    poster.screenshot(path=str(ARTIFACTS / "opportunity-poster-en.png"), full_page=True)
