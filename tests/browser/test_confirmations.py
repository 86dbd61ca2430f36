"""In Chromium: removing a connection and deleting a recommendation ask first; cancelling
keeps them, confirming removes them."""

from __future__ import annotations

import pytest

from maillon.network.recommendations import write_recommendation
from tests.browser.conftest import _log_in
from tests.introductions.world import World

pytestmark = pytest.mark.browser


def _answer(page, accept):
    asked = []

    def handle(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", handle)
    return asked


def test_removing_a_connection_and_deleting_a_recommendation_ask_first(app, create_member,
                                                                       live_server, browser):
    world = World(app, create_member, slug="acme")
    ann, bob, cyd = (create_member("acme", name=name, locale="en")
                     for name in ("Ann Asker", "Bob Bond", "Cyd Cole"))
    world.connect(ann.id, bob.id)
    world.connect(ann.id, cyd.id)
    world.call(write_recommendation, cyd.id, ann.id, relationship="same_team",
               text="Ann keeps every promise she makes, and a few she never made.")
    base = f"http://acme.localhost:{live_server}"
    page = _log_in(browser, base, ann.email)

    page.goto(f"{base}/network")
    bob_row = page.locator(".connection", has_text="Bob Bond")
    asked = _answer(page, accept=False)
    bob_row.locator("form[action$='/remove'] button").click()
    assert asked == ["Remove Bob Bond from your connections? Your rating of them is deleted too."]
    page.reload()
    assert page.locator(".connection", has_text="Bob Bond").count() == 1  # kept
    asked = _answer(page, accept=True)
    page.locator(".connection", has_text="Bob Bond").locator(
        "form[action$='/remove'] button").click()
    page.wait_for_load_state()
    assert asked and page.locator(".connection", has_text="Bob Bond").count() == 0

    page.goto(f"{base}/recommendations")
    delete = page.locator("form[action$='/delete'] button")
    asked = _answer(page, accept=False)
    delete.click()
    assert asked == ["Delete the recommendation by Cyd Cole? It cannot be restored."]
    page.reload()
    assert "a few she never made" in page.content()
    asked = _answer(page, accept=True)
    page.locator("form[action$='/delete'] button").click()
    page.wait_for_load_state()
    assert asked and "a few she never made" not in page.content()
    page.close()
