"""A hub thread with a mention, in Chromium: a member opens a hub and starts a thread
mentioning another member; that member logs in, sees the notification, opens the thread and
replies. Checked with axe at 1280 px and 390 px, in English and French."""

import re

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.network import services as network
from maillon.tenancy.models import Instance
from tests.browser.a11y import problems
from tests.browser.conftest import ARTIFACTS, _log_in_on

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _clean(page):
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        found = problems(page)
        assert not found, (viewport, found)
        # Nothing wider than the screen at 390 px.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= max(
            viewport["width"], page.evaluate("() => window.innerWidth"))
    page.set_viewport_size(DESKTOP)


def _connect(app, a, b):
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "academia"))
        first = db.session.get(Member, a.id)
        row = network.request_connection(db.session, instance, first, b.id)
        network.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)


def test_hub_thread_with_a_mention(app, live_server, browser, create_member, axe):
    base = f"http://academia.localhost:{live_server}"
    ana = create_member("academia", name="Ana Lima", locale="en")
    bruno = create_member("academia", name="Bruno Méndez", locale="fr")
    _connect(app, ana, bruno)  # a colleague: mentions reach the author's connections

    author = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(author, base, ana.email)
    author.click("nav a[href$='/hubs']")
    author.wait_for_url(re.compile(r"/hubs$"))
    author.click("text=Create a hub")
    author.fill("input[name=name]", "E-learning")
    author.fill("textarea[name=description]", "Online courses and MOOCs.")
    author.check("input[name=visibility][value=open]")
    _clean(author)
    author.click("main form button[type=submit]")
    author.wait_for_url(re.compile(r"/hubs/\d+$"))
    assert "Your hub is open" in author.content()
    author.fill("input[name=title]", "Moodle or Canvas?")
    author.fill("textarea[name=text]", "Which do you use, @bruno.mendez?\n\n"
                                       "Compare: https://moodle.org")
    _clean(author)
    author.click("main form button[type=submit] >> text=Publish the thread")
    author.wait_for_url(re.compile(r"/threads/\d+$"))
    thread_url = author.url
    assert author.locator("a.mention", has_text="@bruno.mendez").count() == 1
    _clean(author)
    author.screenshot(path=str(ARTIFACTS / "hubs-thread-en.png"), full_page=True)

    reader = browser.new_context(bypass_csp=True).new_page()
    _log_in_on(reader, base, bruno.email)
    reader.click("nav a[href$='/notifications']")
    reader.wait_for_url(re.compile(r"/notifications$"))
    reader.click("text=Ana Lima vous a mentionné dans « Moodle or Canvas? »")
    reader.wait_for_url(re.compile(r"/threads/\d+$"))
    assert reader.url == thread_url
    assert "Lancer une discussion" not in reader.content()  # a thread page, in French
    assert "Vous ne suivez" not in reader.content()
    reader.fill("textarea[name=text]", "Moodle, @ana.lima : nous l’utilisons depuis 2015.")
    _clean(reader)
    reader.click("main form button[type=submit] >> text=Publier ma réponse")
    reader.wait_for_url(re.compile(r"/threads/\d+#post-\d+$"))
    assert "nous l’utilisons depuis 2015" in reader.content()
    assert "Vous suivez cette discussion" in reader.content()  # replying follows
    reader.set_viewport_size(PHONE)
    reader.screenshot(path=str(ARTIFACTS / "hubs-thread-fr-390.png"), full_page=True)

    author.goto(f"{base}/notifications")
    assert "Bruno Méndez mentioned you in “Moodle or Canvas?”" in author.content()
