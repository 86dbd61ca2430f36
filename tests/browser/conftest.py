"""A live server and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from maillon.jobs.worker import start_worker_thread
from tests.conftest import PASSWORD, skip_or_fail
from tests.processes import free_port

CHROMIUM = os.environ.get("MAILLON_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """Serve the app on a free loopback port with a jobs worker; yields the port."""
    port = free_port()
    app.config["SERVER_PORT"] = port
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    worker, stop = start_worker_thread(app)
    app.config["JOB_POLL_SECONDS"] = 0.1
    yield str(port)
    stop.set()
    worker.join(10)
    server.shutdown()


@pytest.fixture
def axe() -> None:
    """axe-core must be installed for the accessibility checks (tests/browser/a11y.py)."""
    from tests.browser.a11y import AXE

    if not AXE.exists():
        how = ("npm ci --prefix tests/browser" if shutil.which("npm")
               else "npm is missing: apt-get install npm, then npm ci --prefix tests/browser")
        skip_or_fail(f"axe-core not found at {AXE} ({how})")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _log_in_on(page: Any, base: str, email: str, password: str = PASSWORD) -> Any:
    """Sign `email` in through the login form of the page's context; returns the page."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page


def _log_in(browser: Any, base: str, email: str, *, password: str = PASSWORD,
            viewport: dict[str, int] | None = None, **context_options: Any) -> Any:
    """A page of a fresh browser context (its own cookies) where `email` has signed in.

    `viewport` defaults to a 1280 px desktop; other options go to `browser.new_context`
    (`bypass_csp=True` where axe is injected). The page's `.context` closes the session.
    """
    context = browser.new_context(viewport=viewport or DESKTOP, **context_options)
    return _log_in_on(context.new_page(), base, email, password)
