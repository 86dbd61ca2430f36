"""In Chromium: sending a photo from the edit page keeps what was typed in the profile form and
not yet saved."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_photo_upload_keeps_unsaved_profile_text(app, create_member, live_server, browser,
                                                 tmp_path):
    member = create_member("reseau", name="Paul Photo", headline="Old headline", locale="fr")
    picture = tmp_path / "me.png"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 80, 40)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    base = f"http://reseau.localhost:{live_server}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    page.fill("input[name=email]", member.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/profile/edit")
    page.fill("input[name=headline]", "Typed, not saved yet")
    page.fill("textarea[name=summary]", "A summary I was writing.")
    page.set_input_files("input[name=photo]", str(picture))
    page.click("form[action$='/profile/photo'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1  # the photo is saved
    assert page.input_value("input[name=headline]") == "Typed, not saved yet"
    assert page.input_value("textarea[name=summary]") == "A summary I was writing."

    page.click("form.profile-form button[type=submit]")  # now saved; nothing kept any more
    page.wait_for_load_state()
    page.goto(f"{base}/profile/edit")
    assert page.input_value("input[name=headline]") == "Typed, not saved yet"
    page.fill("input[name=headline]", "Abandoned")
    page.goto(f"{base}/profile/edit")  # leaving without the photo form keeps nothing
    assert page.input_value("input[name=headline]") == "Typed, not saved yet"
    page.close()
