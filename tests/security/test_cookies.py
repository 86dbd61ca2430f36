"""The session cookie: SameSite=Lax always, Secure whenever the site is served over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from maillon import create_app
from maillon.members.models import Member
from tests.conftest import PASSWORD, InstanceClient


def _session_cookie(response: Any) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return str(header)


def test_local_development_cookie_is_lax_and_not_secure(
        client_for: Callable[[str], FlaskClient], create_member: Callable[..., Member]) -> None:
    member = create_member("reseau")
    response = client_for("reseau").post("/login", data={"email": member.email,
                                                         "password": PASSWORD})
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie


def test_https_settings_make_the_cookie_secure(
        app_config: dict[str, Any], create_member: Callable[..., Member]) -> None:
    app_config.update(SERVER_NAME_SCHEME="https", LOCAL_LINKS=False)
    app = create_app(app_config)
    member = create_member("reseau")
    client = InstanceClient(app, app.response_class, base_url="https://reseau.localhost")
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "SameSite=Lax" in cookie
    assert "; Secure" in cookie
    app.extensions["maillon.engine"].dispose()
