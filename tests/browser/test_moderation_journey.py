"""Moderation in the browser: a moderator suspends a member, the member's open page stops
working, the member is told why (e-mail, and the page their login leads to), appeals; the
moderator accepts the appeal and the member is back."""

import re
import time

import pytest

from tests.browser.a11y import problems
from tests.browser.conftest import _log_in_on

pytestmark = pytest.mark.browser

REASON = "Unsolicited sales pitches sent to many members."


def _wait_for_mail(mail, address, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = mail.to(address)
        if messages:
            return messages[-1]
        time.sleep(0.1)
    raise AssertionError(f"no mail reached {address}")


def _no_serious_problems(page):
    found = problems(page)
    assert not found, found


def test_suspend_member_told_cannot_act_then_appeal_accepted(live_server, browser, mail,
                                                             create_member, axe):
    base = f"http://reseau.localhost:{live_server}"
    moderator = create_member("reseau", name="Mona Modératrice", role="moderator")
    sam = create_member("reseau", name="Sam Vendeur", locale="en")

    member_page = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(member_page, base, sam.email)
    member_page.goto(f"{base}/notifications")
    assert "/login" not in member_page.url

    staff = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(staff, base, moderator.email)
    staff.goto(f"{base}/moderation")
    staff.fill("input[name=member]", str(sam.id))
    staff.click("main form button[type=submit]")
    staff.wait_for_url(re.compile(rf"/moderation/members/{sam.id}$"))
    _no_serious_problems(staff)
    staff.select_option("select[name=kind]", "suspend")
    staff.fill("textarea[name=reason]", REASON)
    staff.click("form:has(select[name=kind]) button[type=submit]")
    staff.wait_for_load_state()
    assert REASON in staff.content()

    # told why, in their language
    message = _wait_for_mail(mail, sam.email)
    assert message["Subject"].endswith("is suspended")
    assert REASON in mail.body(message)
    # the open session no longer works
    member_page.goto(f"{base}/notifications")
    assert "/login" in member_page.url
    # the password leads to the reason and the appeal form, not into the site
    _log_in_on(member_page, base, sam.email)
    assert member_page.url.endswith("/account/suspended")
    assert REASON in member_page.content()
    _no_serious_problems(member_page)
    member_page.fill("textarea[name=text]", "I only answered people who wrote to me first.")
    member_page.click("main form button[type=submit]")
    member_page.wait_for_load_state()
    assert member_page.url.endswith("/account/suspended")
    assert member_page.locator("textarea[name=text]").count() == 0  # appealed: once only
    member_page.goto(f"{base}/introductions")
    assert "/login" in member_page.url

    staff.goto(f"{base}/moderation/appeals")
    assert "I only answered people who wrote to me first." in staff.content()
    _no_serious_problems(staff)
    staff.check("input[name=decision][value=accept]")
    staff.fill("textarea[name=response]", "You are right: the suspension is lifted.")
    staff.click("form:has(input[name=decision]) button[type=submit]")
    staff.wait_for_load_state()

    _log_in_on(member_page, base, sam.email)
    assert "/account/suspended" not in member_page.url and "/login" not in member_page.url
    member_page.goto(f"{base}/account/sanctions")
    assert "the suspension is lifted" in member_page.content()
    _no_serious_problems(member_page)
