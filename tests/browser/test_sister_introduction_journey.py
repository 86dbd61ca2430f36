"""An introduction that crosses from one community of the deployment to another, in Chromium
(decisions 56 and 58): Sofia (Academia) asks to meet Julien (Réseau Entraide), whom her
connection Claire knows across the border; Claire passes it on in Academia's pages, which
sends the Offer to Réseau through the app itself; Julien, reading Réseau's pages in French,
accepts; Sofia sees the introduction accepted and Julien among her connections on other
servers, "from Réseau Entraide". Each person acts in their own community's pages; the jobs
worker carries the exchange. Axe checks the pages new to this journey at 390 px."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.federation.models import RemoteConnection
from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in
from tests.federation.conftest import federate, instance_row, member_row, opt_in
from tests.introductions.world import World

pytestmark = pytest.mark.browser
# The federation suite's fixtures, by name (an assignment, so that pytest finds them here).
federate, opt_in = federate, opt_in
MESSAGE = ("Bonjour Julien, je prépare un atelier sur l'entraide numérique et Claire me dit que "
           "vous animez celui de Bordeaux : auriez-vous un moment pour en parler ?")
MOBILE = {"width": 390, "height": 844}


def _wait(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _status(app: Flask, slug: str, member_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(select(RemoteConnection.status).where(
            RemoteConnection.instance_id == instance_row(slug).id,
            RemoteConnection.member_id == member_id).order_by(RemoteConnection.id.desc()))


def _connect_across(app: Flask, claire: Any, julien: Any, julien_handle: str) -> None:
    """Claire asks Julien, Julien accepts: what each would click on "My network"."""
    from maillon.federation.connections import answer_remote_request
    from maillon.federation.outgoing import connect_remote_person
    from maillon.federation.urls import handle_domain

    with app.test_request_context(), app.app_context():
        reseau = instance_row("reseau")
        connect_remote_person(db.session, instance_row("academia"), member_row(claire.id),
                              f"@{julien_handle}@{handle_domain(reseau)}")
    _wait(lambda: _status(app, "reseau", julien.id) == "requested", "Claire's request in Réseau")
    with app.app_context():
        reseau = instance_row("reseau")
        row = db.session.scalar(select(RemoteConnection).where(
            RemoteConnection.instance_id == reseau.id, RemoteConnection.member_id == julien.id))
        assert row is not None
        answer_remote_request(db.session, reseau, member_row(julien.id), row.id, accept=True)
    _wait(lambda: _status(app, "academia", claire.id) == "connected", "the connection")


def test_an_introduction_crosses_to_a_sister_community(app, create_member, live_server,
                                                       browser, federate, opt_in, axe):
    app.config["FEDERATION_DEV_NETWORK"] = False  # nothing may go through the network
    federate("academia")
    federate("reseau")
    sofia = create_member("academia", name="Sofia Requester", locale="en")
    claire = create_member("academia", name="Claire Carrier", locale="en")
    julien = create_member("reseau", name="Julien Target", locale="fr")
    World(app, create_member, slug="academia").chain(sofia.id, claire.id, trust=4)
    for member in (sofia, claire):
        opt_in(member)
    _connect_across(app, claire, julien, opt_in(julien))
    academia = f"http://academia.localhost:{live_server}"
    reseau = f"http://reseau.localhost:{live_server}"

    # Sofia finds Julien among Claire's contacts, marked with his community, and asks.
    page = _log_in(browser, academia, sofia.email, bypass_csp=True)
    page.goto(f"{academia}/members/{claire.id}/contacts")
    contact = page.locator("#remote-contacts li", has_text="Julien Target")
    assert "from Réseau Entraide" in contact.inner_text()
    contact.locator("text=Ask for an introduction").click()
    page.wait_for_url(re.compile(r"/introductions/remote/\d+"))
    assert problems(page) == []
    page.select_option("select[name=purpose]", "advice")
    page.fill("textarea[name=message]", MESSAGE)
    page.click("form.intro-request button[type=submit]")
    page.wait_for_url(re.compile(r"/introductions/\d+$"))
    detail = page.url
    assert page.locator("[data-status=in_progress]").count() == 1
    page.context.close()

    # Claire passes it on, in Academia's pages: the Offer leaves for Réseau.
    page = _log_in(browser, academia, claire.email)
    page.goto(detail)
    page.fill("form[action$='/forward'] textarea[name=note]",
              "Julien, Sofia est sérieuse et son projet vous plaira.")
    page.click("form[action$='/forward'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1
    page.context.close()

    # Julien, in Réseau's pages and in French, reads it and accepts.
    page = _log_in(browser, reseau, julien.email, viewport=MOBILE, bypass_csp=True)

    def arrived() -> bool:
        page.goto(f"{reseau}/introductions/from-other-servers")
        return page.locator(".incoming-introduction").count() == 1

    _wait(arrived, "the introduction in Réseau")
    item = page.locator(".incoming-introduction")
    assert "Sofia Requester" in item.inner_text() and "Claire Carrier" in item.inner_text()
    assert "sur Academia" in item.inner_text()  # her community, not a host name
    assert "entraide numérique" in item.inner_text()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "browser-sister-introduction-incoming.png"),
                    full_page=True)
    item.locator("form[action$='/accept'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".incoming-introduction[data-status=accepted]").count() == 1
    page.context.close()

    # Sofia sees it accepted, and Julien among her connections on other servers.
    page = _log_in(browser, academia, sofia.email)

    def accepted() -> bool:
        page.goto(detail)
        return page.locator("[data-status=accepted]").count() == 1

    _wait(accepted, "the acceptance in Academia")
    _wait(lambda: _status(app, "academia", sofia.id) == "connected", "Sofia's connection")
    page.goto(f"{academia}/network")
    remote = page.locator("#remote")
    assert "Julien Target" in remote.inner_text()
    assert "from Réseau Entraide" in remote.inner_text()
    page.screenshot(path=str(ARTIFACTS / "browser-sister-introduction-accepted.png"),
                    full_page=True)
    page.context.close()
