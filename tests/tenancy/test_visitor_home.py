"""The logged-out home page: no cookie for a visitor, no statement for the member count most of
the time, and a language switcher that works without a CSRF token for visitors only."""

from __future__ import annotations

import re

from maillon import create_app
from maillon.tenancy import views
from tests.conftest import PASSWORD, InstanceClient
from tests.querycount import count_queries


def _client(app, slug="academia"):
    return InstanceClient(app, app.response_class, use_cookies=True,
                          base_url=f"http://{slug}.localhost")


def test_a_visitor_gets_no_cookie_and_no_token(client_for):
    response = client_for("academia").get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert 'name="csrf_token"' not in response.get_data(as_text=True)


def test_the_member_count_is_read_once_in_a_while(app, client_for, create_member, monkeypatch):
    engine = app.extensions["maillon.engine"]
    visitor = client_for("academia")
    create_member("academia")
    with count_queries(engine) as first:
        assert "1 membre" in visitor.get("/").get_data(as_text=True)
    create_member("academia")
    with count_queries(engine) as second:
        assert "1 membre" in visitor.get("/").get_data(as_text=True)  # the figure kept
    counting = [[s for s in log.statements if "FROM members" in s] for log in (first, second)]
    assert len(counting[0]) == 1 and counting[1] == [], (first.report(), second.report())
    monkeypatch.setattr(views, "PUBLIC_COUNT_SECONDS", 0.0)  # as when 30 s have passed
    assert "2 membres" in visitor.get("/").get_data(as_text=True)


def test_the_switcher_wants_a_token_from_members_only(app_config, create_member):
    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    visitor = _client(app)
    switched = visitor.post("/language", data={"locale": "en", "next": "/"})
    assert switched.status_code == 302
    assert "Log in" in visitor.get("/").get_data(as_text=True)

    member = create_member("academia")
    client = _client(app)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": member.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    assert client.post("/language", data={"locale": "en", "next": "/"}).status_code == 400
    page = client.get("/").get_data(as_text=True)
    assert "Se déconnecter" in page  # the forged switch changed nothing
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/language", data={"locale": "en", "next": "/",
                                          "csrf_token": token}).status_code == 302
    assert "Log out" in client.get("/").get_data(as_text=True)
    app.extensions["maillon.engine"].dispose()
