"""An admin gives the community its colours and logo in the browser: the colour picked shows
on the next page (the stylesheet's address changed), an unreadable choice is refused with a
message at the field, the uploaded logo is in every page's header, at 1280 and 390 px."""

import re
from io import BytesIO

import pytest
from PIL import Image

from tests.browser.a11y import problems
from tests.browser.conftest import _log_in_on

pytestmark = pytest.mark.browser


def _logo(tmp_path):
    path = tmp_path / "harbour.png"
    image = Image.new("RGBA", (600, 150), (0, 0, 0, 0))
    image.paste((18, 53, 91, 255), (0, 0, 150, 150))
    out = BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def _button_background(page):
    return page.eval_on_selector("main .button", "b => getComputedStyle(b).backgroundColor")


def test_admin_sets_colours_and_logo(live_server, browser, create_member, axe, tmp_path):
    base = f"http://reseau.localhost:{live_server}"
    admin = create_member("reseau", name="Ada Admin", role="admin", locale="en")
    page = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(page, base, admin.email)
    page.goto(f"{base}/moderation")
    page.click("a[href$='/admin/appearance']")
    page.wait_for_url(re.compile(r"/admin/appearance$"))
    assert not problems(page)
    before = _button_background(page)

    # a readable main colour: its code shows beside the picker, then saved, and the buttons
    # take it on the next page
    page.fill("#option-color-primary-input", "#0b5a3c")
    assert page.inner_text("#option-color-primary .colour-code") == "#0b5a3c"
    page.click("form[action$='/admin/appearance'] button[type=submit]:not([formaction])")
    page.wait_for_load_state()
    assert "The colours are saved." in page.content()
    assert _button_background(page) == "rgb(11, 90, 60)" != before
    assert "Changed here. The theme says:" in page.content()

    # unreadable text: refused at the field, nothing saved
    page.fill("#option-color-text-input", "#f0f0f0")
    page.click("form[action$='/admin/appearance'] button[type=submit]:not([formaction])")
    page.wait_for_load_state()
    error = page.locator("#option-color-text-error")
    assert "hard to read" in error.inner_text()
    assert page.get_attribute("#option-color-text-input", "aria-invalid") == "true"
    assert not problems(page)

    # the logo: uploaded, in the header of every page
    page.goto(f"{base}/admin/appearance")
    page.set_input_files("#logo-file", str(_logo(tmp_path)))
    page.click("form[action$='/admin/appearance/logo'] button[type=submit]")
    page.wait_for_load_state()
    assert "The logo is updated." in page.content()
    page.goto(f"{base}/members")
    logo = page.locator("header img.brand-logo")
    assert re.search(r"/theme/logo-[0-9a-f]{32}\.png$", logo.get_attribute("src"))
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", logo.element_handle())

    # a phone: the page still fits and passes the checks
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/admin/appearance")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not problems(page)
    page.context.close()
