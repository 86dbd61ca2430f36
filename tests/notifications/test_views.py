"""Notification pages: the list (seen = read), the nav badge, opening one, the settings form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.network import services as network
from maillon.notifications import services
from maillon.tenancy.models import Instance
from tests.conftest import PASSWORD, InstanceClient

Login = Callable[..., FlaskClient]


def _instance(slug: str) -> Instance:
    return db.session.scalars(select(Instance).where(Instance.slug == slug)).one()


def _request(app: Flask, slug: str, a: Member, b: Member) -> int:
    with app.app_context():
        requester = db.session.get(Member, a.id)
        assert requester is not None
        return network.request_connection(db.session, _instance(slug), requester, b.id).id


def _notification_ids(app: Flask, slug: str, member: Member) -> list[int]:
    with app.app_context():
        me = db.session.get(Member, member.id)
        assert me is not None
        return [n.id for n in services.list_notifications(db.session, _instance(slug), me)[1]]


def _unread(app: Flask, slug: str, member: Member) -> int:
    with app.app_context():
        me = db.session.get(Member, member.id)
        assert me is not None
        return services.unread_count(db.session, _instance(slug), me)


def test_page_lists_notifications_newest_first_and_marks_them_read(
        app: Flask, create_member: Callable[..., Member], login: Login) -> None:
    bob = create_member("acme", name="Bob Stone", locale="en")
    alice = create_member("acme", name="Alice Martin", locale="en")
    carol = create_member("acme", name="Carol King", locale="en")
    _request(app, "acme", alice, bob)
    _request(app, "acme", carol, bob)
    client = login(bob, "acme")
    home = client.get("/members").get_data(as_text=True)
    assert 'aria-label="Notifications (2 unread)"' in home
    assert '<span class="badge badge-count" aria-hidden="true">2</span>' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Carol King wants to connect with you") \
        < page.index("Alice Martin wants to connect with you")
    assert page.count("notification-unread") == 2
    assert "just now" in page
    assert "Notifications (2 unread)" not in page  # the badge counts after this page was seen
    assert _unread(app, "acme", bob) == 0
    again = client.get("/notifications").get_data(as_text=True)
    assert "notification-unread" not in again
    assert "Carol King wants to connect with you" in again
    assert "badge-count" not in client.get("/members").get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_follows_its_link(
        app: Flask, create_member: Callable[..., Member], login: Login) -> None:
    bob, alice = create_member("acme", locale="en"), create_member("acme", locale="en")
    _request(app, "acme", alice, bob)
    [notification_id] = _notification_ids(app, "acme", bob)
    response = login(bob, "acme").get(f"/notifications/{notification_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/network")
    assert _unread(app, "acme", bob) == 0


def test_mark_all_read(app: Flask, create_member: Callable[..., Member], login: Login) -> None:
    bob, alice = create_member("acme", locale="en"), create_member("acme", locale="en")
    _request(app, "acme", alice, bob)
    response = login(bob, "acme").post("/notifications/mark-read")
    assert response.status_code == 302
    assert _unread(app, "acme", bob) == 0


def test_another_members_notification_is_a_404(
        app: Flask, create_member: Callable[..., Member], login: Login) -> None:
    bob, alice = create_member("acme", locale="en"), create_member("acme", locale="en")
    eve = create_member("acme", name="Eve Snoop", locale="en")
    x, y = create_member("reseau"), create_member("reseau")
    _request(app, "acme", alice, bob)
    _request(app, "reseau", x, y)
    [bobs] = _notification_ids(app, "acme", bob)
    [ys] = _notification_ids(app, "reseau", y)
    client = login(eve, "acme")
    assert client.get(f"/notifications/{bobs}").status_code == 404
    assert client.get(f"/notifications/{ys}").status_code == 404  # another instance's
    page = client.get("/notifications").get_data(as_text=True)
    assert "wants to connect" not in page
    assert "No notifications yet." in page
    assert _unread(app, "acme", bob) == 1
    assert _unread(app, "reseau", y) == 1


def test_pages_need_a_login(client_for: Callable[[str], FlaskClient]) -> None:
    client = client_for("acme")
    assert client.get("/notifications").status_code == 302
    assert client.get("/settings/notifications").status_code == 302


def test_settings_form_shows_and_saves_preferences(
        app: Flask, create_member: Callable[..., Member], login: Login) -> None:
    bob = create_member("acme", locale="en")
    client = login(bob, "acme")
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "Invitations to connect" in page
    assert re.search(r'name="email" value="connection_requested"[^>]*checked', page)
    assert not re.search(r'name="email" value="skill_endorsed"[^>]*checked', page)
    response = client.post("/settings/notifications", data={
        "app": ["connection_requested", "skill_endorsed"],
        "email": ["skill_endorsed"]})
    assert response.status_code == 302
    with app.app_context():
        prefs = services.preferences(db.session.get(Member, bob.id))  # type: ignore[arg-type]
    assert prefs["connection_requested"] == {"app": True, "email": False}
    assert prefs["skill_endorsed"] == {"app": True, "email": True}
    assert prefs["connection_accepted"] == {"app": False, "email": False}
    refused = client.post("/settings/notifications", data={"app": ["not_a_kind"]})
    assert refused.status_code == 422


def test_settings_form_requires_csrf(app_config: dict[str, Any],
                                     create_member: Callable[..., Member]) -> None:
    from maillon import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    bob = create_member("acme", locale="en")
    client = InstanceClient(app, app.response_class, use_cookies=True,
                            base_url="http://acme.localhost")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    assert client.post("/login", data={"email": bob.email, "password": PASSWORD,
                                       "csrf_token": token[1]}).status_code == 302
    response = client.post("/settings/notifications", data={"email": []})
    assert response.status_code == 400  # refused by CSRF protection
    with app.app_context():
        prefs = services.preferences(db.session.get(Member, bob.id))  # type: ignore[arg-type]
    assert prefs["connection_requested"]["email"] is True
    app.extensions["maillon.engine"].dispose()
