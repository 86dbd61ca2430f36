"""Issue 13's "Done means", in Chromium: two Maillon servers (each its own gunicorn, jobs
worker and database, on loopback with real Host names); a member of Academia on server A
reaches a member of an association on server B through a chain that crosses, and everyone on
the chain acts in their own instance's pages (decisions 61 and 62).

Claire (Academia, A, English) looks Bruno up by his address, and asks to be introduced: nobody
on A knows him, but her connection Marc knows Xavier on B, who knows Bruno. Marc forwards in
Academia's pages; Xavier passes it on in the association's pages, in French, on a phone;
Bruno accepts there; Claire sees it accepted and Bruno among her connections. Axe checks the
pages this journey adds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in
from tests.federation.test_two_servers import _status_with, chain_world
from tests.processes import Processes, wait_for

pytestmark = pytest.mark.browser
PASSWORD = "not-used"  # what tests/federation/server_setup.py gives its members
MOBILE = {"width": 390, "height": 844}
MESSAGE = ("Hello Bruno, our lab studies harbour logistics and Marc tells me the association "
           "runs the volunteers' desk at the port: could we talk?")


def _until(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_chain_crosses_two_servers_and_each_acts_in_their_own_pages(
        processes: Processes, tmp_path: Path, browser: Any, axe: None) -> None:
    world = chain_world(processes, tmp_path)  # Marc (A) and Xavier (B) already connected
    claire, bruno = world["claire"], world["bruno"]
    (port_a, port_b), (host_a, host_b) = world["ports"], world["hosts"]
    academia, assoc = f"http://{host_a}:{port_a}", f"http://{host_b}:{port_b}"

    # Claire, in Academia's pages, finds Bruno by his address and asks to be introduced.
    page = _log_in(browser, academia, "claire@univ.example", password=PASSWORD,
                   bypass_csp=True)
    page.goto(f"{academia}/network/remote?address={bruno['address']}")
    assert "Bruno Marin" in page.locator(".remote-profile").inner_text()
    assert problems(page) == []
    page.click("form.remote-introduce button[type=submit]")
    page.wait_for_url(re.compile(r"/introductions/remote/\d+"))
    page.select_option("select[name=purpose]", "partnership")
    page.fill("textarea[name=message]", MESSAGE)
    page.click("form.intro-request button[type=submit]")
    page.wait_for_url(re.compile(r"/introductions/\d+$"))
    detail = page.url
    across = page.locator(".remote-chain").inner_text()
    assert "Xavier Roux" in across, across
    assert problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "browser-two-servers-chain-requested.png"),
                    full_page=True)
    page.context.close()

    # Marc passes it on in Academia's pages: the Offer leaves for server B, to Xavier.
    page = _log_in(browser, academia, "marc@univ.example", password=PASSWORD)
    page.goto(detail)
    assert "Xavier Roux" in page.locator("form[action$='/forward']").inner_text()
    page.fill("form[action$='/forward'] textarea[name=vouch]",
              "Claire is a careful and generous researcher.")
    page.click("form[action$='/forward'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1
    page.context.close()

    # Xavier, in the association's pages (French) on a phone, passes it on to Bruno.
    page = _log_in(browser, assoc, "xavier@port.example", password=PASSWORD,
                   viewport=MOBILE, bypass_csp=True)

    def arrived() -> bool:
        page.goto(f"{assoc}/introductions/from-other-servers")
        return page.locator(".incoming-introduction").count() == 1

    _until(arrived, "the request at Xavier's, on server B")
    item = page.locator(".incoming-introduction")
    text = item.inner_text()
    assert "Claire Dubois" in text and "Bruno Marin" in text and "Marc Lefort" in text
    assert page.locator("html").get_attribute("lang") == "fr"
    assert problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "browser-two-servers-chain-relay.png"),
                    full_page=True)
    item.locator("form[action$='/pass'] textarea").fill("Je connais Marc, il est fiable.")
    item.locator("form[action$='/pass'] button[type=submit]").click()
    page.wait_for_load_state()
    page.context.close()

    # Bruno accepts, in his community's pages.
    page = _log_in(browser, assoc, "bruno@port.example", password=PASSWORD)
    page.goto(f"{assoc}/introductions/from-other-servers")
    item = page.locator(".incoming-introduction")
    assert "harbour logistics" in item.inner_text()
    item.locator("form[action$='/accept'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".incoming-introduction[data-status=accepted]").count() == 1
    page.context.close()

    # Claire sees it accepted, and Bruno among her connections on other servers.
    page = _log_in(browser, academia, "claire@univ.example", password=PASSWORD)

    def accepted() -> bool:
        page.goto(detail)
        return page.locator("[data-status=accepted]").count() == 1

    _until(accepted, "the acceptance on server A")
    wait_for(lambda: _status_with(port_a, host_a, claire["token"], bruno["address"]) ==
             "connected", "Claire and Bruno connected on server A")
    page.goto(f"{academia}/network")
    assert "Bruno Marin" in page.locator("#remote").inner_text()
    page.screenshot(path=str(ARTIFACTS / "browser-two-servers-chain-accepted.png"),
                    full_page=True)
    page.context.close()
