"""The operator in the browser: signs in on the operator host, creates an instance (the form
first refused with its problems shown), sees it served at once; its first admin follows the
e-mailed link, chooses a password and arrives as an admin; the operator closes it and visitors
read that it is closed. Accessible at 1280 and 390 px."""

import re
import time

import pytest

from maillon.db import db
from maillon.operators.accounts import create_operator
from tests.browser.a11y import problems
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _sign_in(browser, base: str, viewport) -> object:
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/operator/")
    page.fill("#op-email", "ops@example.net")
    page.fill("#op-password", "operator password")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/operator/$"))
    return page


def test_an_operator_creates_an_instance_and_its_admin_takes_over(
        app, live_server, browser, mail, axe):
    with app.app_context():
        create_operator(db.session, "ops@example.net", "operator password")
    base = f"http://operator.localhost:{live_server}"
    page = _sign_in(browser, base, DESKTOP)
    assert "Acme Network" in page.inner_text("main")
    assert not problems(page)

    page.click("text=Create an instance")
    page.fill("#op-name", "Atelier des métiers")
    page.fill("#op-slug", "Atelier!")
    page.fill("#op-admin_name", "Camille Chef")
    page.fill("#op-admin_email", "chef@atelier.example.org")
    page.click("main form button[type=submit]")
    assert "Nothing was created" in page.inner_text("main")
    assert page.get_attribute("#op-slug", "aria-invalid") == "true"
    assert page.input_value("#op-name") == "Atelier des métiers"  # what was typed stays
    assert not problems(page)
    page.fill("#op-slug", "atelier")
    page.select_option("#op-theme", "campus" if page.locator(
        "#op-theme option[value=campus]").count() else "classic")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/operator/instances/atelier$"))
    assert "Atelier des métiers is created" in page.inner_text("main")
    assert "chef@atelier.example.org" in page.inner_text("main")
    assert not problems(page)

    # The first admin's link, then the admin pages of the new community.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not mail.to("chef@atelier.example.org"):
        time.sleep(0.2)
    [message] = mail.to("chef@atelier.example.org")
    link = re.search(r"http://\S+/reset-password/\S+", mail.body(message)).group(0)
    admin = browser.new_context(viewport=DESKTOP).new_page()
    admin.goto(link)
    admin.fill("input[name=password]", "a brand new password")
    admin.fill("input[name=confirm]", "a brand new password")
    admin.click("main form button[type=submit]")
    admin.goto(f"http://atelier.localhost:{live_server}/login")
    admin.fill("input[name=email]", "chef@atelier.example.org")
    admin.fill("input[name=password]", "a brand new password")
    admin.click("main form button[type=submit]")
    admin.wait_for_load_state()
    assert admin.locator("nav >> text=Administration").count() == 1

    # Closed: the community says so; the operator reopens it.
    page.fill("#op-reason", "Season over")
    page.click("text=Close the community >> nth=-1")
    page.wait_for_load_state()
    assert "Closed:" in page.inner_text("main")
    visitor = browser.new_context(viewport=DESKTOP).new_page()
    response = visitor.goto(f"http://atelier.localhost:{live_server}/")
    assert response.status == 503
    assert "closed for now" in visitor.inner_text("main")
    page.click("text=Open it again")
    page.wait_for_load_state()
    assert visitor.goto(f"http://atelier.localhost:{live_server}/").status == 200


def test_the_operator_pages_fit_a_phone(app, live_server, browser, axe):
    with app.app_context():
        create_operator(db.session, "ops@example.net", "operator password")
    base = f"http://operator.localhost:{live_server}"
    page = _sign_in(browser, base, PHONE)
    for path in ("/operator/", "/operator/instances/acme", "/operator/instances/new"):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        found = problems(page)
        assert not found, (path, found)
