"""A person registers on a themed instance, confirms the address, logs in and edits a profile,
in Debian's Chromium; a screenshot of the result is saved under artifacts/."""

import re
import time

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _wait_for_mail(mail, address, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = mail.to(address)
        if messages:
            return mail.body(messages[-1])
        time.sleep(0.1)
    raise AssertionError(f"no mail reached {address}")


def test_register_verify_login_and_edit_profile(live_server, browser, mail):
    base = f"http://academia.localhost:{live_server}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/register")
    assert page.locator("body.theme-academic").count() == 1  # the themed instance
    page.fill("input[name=name]", "Hélène Navigatrice")
    page.fill("input[name=email]", "helene@example.org")
    page.fill("input[name=password]", "un long mot de passe")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "helene@example.org" in page.content()

    body = _wait_for_mail(mail, "helene@example.org")
    link = re.search(r"http://academia\.localhost:\d+/verify/\S+", body).group(0)
    page.goto(link)
    page.wait_for_url(re.compile(r"/profile/edit$"))

    page.fill("input[name=headline]", "Chercheuse en navigation robotique")
    page.fill("input[name=location]", "Grenoble")
    page.fill("input[name=skills]", "Robotique, SLAM, Python")
    page.fill("textarea[name=summary]", "Je construis des robots qui trouvent leur chemin.")
    page.click("form.profile-form button[type=submit]")
    page.wait_for_load_state()

    # log out, log in again, and find the saved profile
    page.click("form[action$='/logout'] button")
    page.wait_for_load_state()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "helene@example.org")
    page.fill("input[name=password]", "un long mot de passe")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.click("nav a[href*='/members/']")
    page.wait_for_load_state()
    content = page.content()
    assert "Chercheuse en navigation robotique" in content
    assert "SLAM" in content
    assert "Grenoble" in content
    page.screenshot(path=str(ARTIFACTS / "browser-profile-academia.png"), full_page=True)
    page.close()
