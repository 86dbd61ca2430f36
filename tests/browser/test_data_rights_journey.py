"""Data rights in the browser: a member downloads their readable archive from "Your data",
then deletes their account (password and typed word); they are logged out, their login no
longer works, and the page works at 1280 and 390 px without serious accessibility problems."""

from pathlib import Path

import pytest

from tests.browser.a11y import problems
from tests.browser.conftest import _log_in_on
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_download_archive_then_delete_account(live_server, browser, create_member, axe):
    base = f"http://reseau.localhost:{live_server}"
    anne = create_member("reseau", name="Anne Partante", locale="en")
    for width in (1280, 390):
        context = browser.new_context(bypass_csp=True, accept_downloads=True,
                                      viewport={"width": width, "height": 900})
        page = context.new_page()
        _log_in_on(page, base, anne.email)
        page.goto(f"{base}/settings/data")
        assert not problems(page), problems(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        with page.expect_download() as download:
            page.click("a[href$='/settings/data/export.html']")
        archive = download.value
        assert archive.suggested_filename.endswith(".html")
        text = Path(archive.path()).read_text(encoding="utf-8")
        assert "Anne Partante" in text and "Your data on" in text
        context.close()

    page = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(page, base, anne.email)
    page.goto(f"{base}/settings/data")
    page.fill("input[name=password]", "not my password at all")
    page.fill("input[name=confirmation]", "DELETE")
    page.click("form:has(input[name=confirmation]) button[type=submit]")
    page.wait_for_load_state()
    assert "This is not your password." in page.content()
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirmation]", "DELETE")
    page.click("form:has(input[name=confirmation]) button[type=submit]")
    page.wait_for_load_state()
    assert "Your account is deleted." in page.content()
    page.goto(f"{base}/notifications")
    assert "/login" in page.url
    page.fill("input[name=email]", anne.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" in page.url  # refused: the instance's language now, so no words checked
    page.goto(f"{base}/notifications")
    assert "/login" in page.url
