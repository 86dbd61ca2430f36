"""Reports in the browser: a member reports a profile from its "Report" link, a moderator
finds it in the queue (the menu shows the count), reads it and warns the member; the reporter
sees the outcome in their notifications and on "My reports", and the warned member sees the
warning without the reporter's name."""

import re

import pytest

from tests.browser.a11y import problems
from tests.browser.conftest import _log_in_on

pytestmark = pytest.mark.browser

DETAILS = "He sends me advertising for his courses every day."
REASON = "Advertising sent to members who did not ask for it."


def _no_serious_problems(page):
    found = problems(page)
    assert not found, found


def test_report_moderator_acts_reporter_told(live_server, browser, create_member, axe):
    base = f"http://reseau.localhost:{live_server}"
    moderator = create_member("reseau", name="Mona Modératrice", role="moderator", locale="en")
    ann = create_member("reseau", name="Ann Reporter", locale="en")
    sam = create_member("reseau", name="Sam Seller", locale="en")

    reporter = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(reporter, base, ann.email)
    reporter.goto(f"{base}/members/{sam.id}")
    reporter.click("a.report-link")
    reporter.wait_for_url(re.compile(rf"/report/member/{sam.id}$"))
    _no_serious_problems(reporter)
    reporter.check("input[name=reason][value=spam]")
    reporter.fill("textarea[name=details]", DETAILS)
    reporter.click("main form button[type=submit]")
    reporter.wait_for_url(re.compile(r"/account/reports$"))
    assert "the moderators will look at your report" in reporter.content()
    assert "Under review" in reporter.content()
    _no_serious_problems(reporter)

    staff = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(staff, base, moderator.email)
    staff.goto(f"{base}/moderation")
    staff.click("nav a[href$='/moderation/reports'][aria-label='Reports (1 open)']")
    staff.wait_for_url(re.compile(r"/moderation/reports$"))
    _no_serious_problems(staff)
    staff.click("text=The member Sam Seller")
    staff.wait_for_url(re.compile(rf"/moderation/reports/member/{sam.id}$"))
    assert DETAILS in staff.content() and "Ann Reporter" in staff.content()
    _no_serious_problems(staff)
    staff.check("input[name=decision][value=act]")
    staff.select_option("select[name=sanction]", "warn")
    staff.fill("textarea[name=reason]", REASON)
    staff.click("main form button[type=submit]")
    staff.wait_for_load_state()
    assert "Decided: the reporters are told the outcome." in staff.content()

    reporter.goto(f"{base}/notifications")
    assert "reviewed your report about Sam Seller and took action" in reporter.content()
    reporter.goto(f"{base}/account/reports")
    assert "Action taken" in reporter.content() and REASON not in reporter.content()

    warned = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(warned, base, sam.email)
    warned.goto(f"{base}/notifications")
    assert REASON in warned.content() and "Ann" not in warned.content()
    warned.goto(f"{base}/members/{sam.id}")
    assert warned.locator("a.report-link").count() == 0
