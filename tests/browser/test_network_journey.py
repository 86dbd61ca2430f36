"""Two members of a themed instance (acme, English) in Chromium: A invites B with a message,
B accepts and rates the connection privately; A endorses a skill of B and recommends B, and B
approves the recommendation, which a third member then sees."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS, _log_in

pytestmark = pytest.mark.browser


def test_connect_accept_rate_endorse_recommend_approve(app, live_server, browser,
                                                       create_member):
    base = f"http://acme.localhost:{live_server}"
    alice = create_member("acme", name="Alice Armand", headline="Supply chain lead")
    bruno = create_member("acme", name="Bruno Bertin", headline="Data engineer",
                          skills=["Python", "Kafka"])
    page_a = _log_in(browser, base, alice.email)
    page_b = _log_in(browser, base, bruno.email)
    assert page_a.locator("body.theme-corporate").count() == 1  # the themed instance

    # A invites B with a personal message.
    page_a.goto(f"{base}/members/{bruno.id}")
    page_a.fill("form.connect-form textarea[name=message]", "We met at the Lyon summit.")
    page_a.click("form.connect-form button[type=submit]")
    page_a.wait_for_load_state()
    assert "Your invitation is sent." in page_a.content()
    assert "Invitation sent" in page_a.content()

    # B sees the invitation with its message and accepts it.
    page_b.goto(f"{base}/network")
    assert "We met at the Lyon summit." in page_b.content()
    page_b.click("form.accept-form > button[type=submit]")
    page_b.wait_for_url(re.compile(r"/network/connections/\d+/trust$"))
    assert "How well do you know Alice Armand?" in page_b.content()

    # B rates the connection privately, in one click.
    page_b.click("button[name=trust][value='5']")
    page_b.wait_for_url(re.compile(r"/network$"))
    assert "Only you can see it" in page_b.content()
    assert page_b.locator("option[data-own-trust='5']").count() == 1
    page_b.screenshot(path=str(ARTIFACTS / "browser-network-acme.png"), full_page=True)

    # A sees B as a first-degree connection, without B's rating.
    page_a.goto(f"{base}/members/{bruno.id}")
    assert page_a.locator(".badge-degree.degree-1").count() == 1
    page_a.goto(f"{base}/network")
    assert "Bruno Bertin" in page_a.content()
    assert page_a.locator("option[data-own-trust='5']").count() == 0

    # A endorses one of B's skills.
    page_a.goto(f"{base}/members/{bruno.id}")
    page_a.click("li.endorsed-skill[data-skill='Python'] form button[type=submit]")
    page_a.wait_for_load_state()
    assert page_a.locator(
        "li.endorsed-skill[data-skill='Python'] .endorsement-count").inner_text() == "1"

    # A writes a recommendation; it stays private until B approves it.
    page_a.goto(f"{base}/members/{bruno.id}/recommend")
    page_a.select_option("select[name=relationship]", "same_team")
    page_a.fill("textarea[name=text]", "Bruno builds data pipelines that never wake anyone up.")
    page_a.click("main form button[type=submit]")
    page_a.wait_for_load_state()
    page_b.goto(f"{base}/recommendations")
    assert "never wake anyone up" in page_b.content()
    page_b.click("form[action$='/approve'] button[type=submit]")
    page_b.wait_for_load_state()

    # Approved: now public on B's profile, for a member outside B's network too.
    carla = create_member("acme", name="Carla Cruz")
    page_c = _log_in(browser, base, carla.email)
    page_c.goto(f"{base}/members/{bruno.id}")
    assert "never wake anyone up" in page_c.content()
    page_c.screenshot(path=str(ARTIFACTS / "browser-recommendation-acme.png"), full_page=True)
    for context in (page_a.context, page_b.context, page_c.context):
        context.close()
