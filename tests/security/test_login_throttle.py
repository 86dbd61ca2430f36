"""Login throttling: attackers are slowed, the owner's usual browser is never locked out, the
page and the API share one counter, and a 429 says how long to wait and keeps what was typed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from maillon.accounts.throttle import DEVICE_COOKIE
from maillon.members.models import Member
from tests.conftest import PASSWORD

ClientFor = Callable[[str], FlaskClient]
addresses: Iterator[str] = (f"198.51.{n // 250}.{n % 250 + 1}" for n in range(1_000_000))


def _from_new_address(client_for: ClientFor, slug: str = "reseau") -> FlaskClient:
    client = client_for(slug)
    client.environ_base["REMOTE_ADDR"] = next(addresses)
    return client


def _page_login(client: FlaskClient, email: str, password: str) -> int:
    return client.post("/login", data={"email": email, "password": password}).status_code


def _api_login(client: FlaskClient, email: str, password: str) -> int:
    return client.post("/api/v1/tokens", json={"email": email, "password": password}
                       ).status_code


@pytest.fixture
def owner_browser(client_for: ClientFor, create_member: Callable[..., Member]
                  ) -> tuple[Member, FlaskClient]:
    """The owner, who logged in (and out) before from their usual browser."""
    member = create_member("reseau")
    browser = _from_new_address(client_for)
    assert _page_login(browser, member.email, PASSWORD) == 302
    assert browser.get_cookie(DEVICE_COOKIE, domain="reseau.localhost") is not None
    browser.post("/logout")
    return member, browser


def test_attack_from_many_addresses_never_locks_the_owners_browser_out(
        owner_browser: tuple[Member, FlaskClient], client_for: ClientFor) -> None:
    member, browser = owner_browser
    statuses = [_page_login(_from_new_address(client_for), member.email, f"guess number {n}")
                for n in range(50)]
    assert statuses[:10] == [401] * 10  # LOGIN_RATE_LIMIT: 10 failures a minute
    assert set(statuses[10:]) == {429}  # unknown devices must wait
    # The owner, at once, from the usual browser:
    browser.environ_base["REMOTE_ADDR"] = next(addresses)
    assert _page_login(browser, member.email, PASSWORD) == 302
    # A device the account never logged in from is held back, even with the right password
    # (the price of the design; a password reset lifts it, see below).
    assert _page_login(_from_new_address(client_for), member.email, PASSWORD) == 429


def test_an_attacker_from_one_address_is_stopped(
        owner_browser: tuple[Member, FlaskClient], client_for: ClientFor,
        create_member: Callable[..., Member]) -> None:
    member, _browser = owner_browser
    attacker = _from_new_address(client_for)
    others = [create_member("reseau").email for _ in range(3)]
    statuses = [_page_login(attacker, others[n % 3], "wrong password") for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]  # per client address, whatever the account
    assert _page_login(attacker, member.email, "wrong password") == 429


def test_a_device_cookie_of_another_account_buys_nothing(
        client_for: ClientFor, create_member: Callable[..., Member]) -> None:
    """The attacker's own browser, where the attacker's account logged in, is an unknown
    device for the victim's account."""
    victim, own = create_member("reseau"), create_member("reseau")
    attacker = _from_new_address(client_for)
    assert _page_login(attacker, own.email, PASSWORD) == 302
    attacker.post("/logout")
    for n in range(10):  # unknown devices have used up the victim's allowance
        assert _page_login(_from_new_address(client_for), victim.email, f"guess {n}") == 401
    attacker.environ_base["REMOTE_ADDR"] = next(addresses)
    assert _page_login(attacker, victim.email, "one more guess") == 429


def test_the_remembered_browser_has_its_own_failure_limit(
        owner_browser: tuple[Member, FlaskClient]) -> None:
    member, browser = owner_browser
    statuses = []
    for n in range(11):
        browser.environ_base["REMOTE_ADDR"] = next(addresses)
        statuses.append(_page_login(browser, member.email, f"typo {n}"))
    assert statuses == [401] * 10 + [429]


def test_only_failures_count_towards_the_account_limit(
        client_for: ClientFor, create_member: Callable[..., Member]) -> None:
    member = create_member("reseau")
    for _ in range(12):  # new devices each time: only the unknown-devices counter applies
        assert _page_login(_from_new_address(client_for), member.email, PASSWORD) == 302


def test_page_and_api_share_the_account_counter(
        client_for: ClientFor, create_member: Callable[..., Member]) -> None:
    member = create_member("reseau")
    statuses = [(_page_login if n % 2 else _api_login)(
        _from_new_address(client_for), member.email, f"guess {n}") for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_page_and_api_share_the_address_counter(client_for: ClientFor) -> None:
    client = _from_new_address(client_for)
    statuses = [(_page_login if n % 2 else _api_login)(
        client, f"someone{n}@example.org", "guess") for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_the_api_login_remembers_the_device_too(
        client_for: ClientFor, create_member: Callable[..., Member]) -> None:
    member = create_member("reseau")
    app_client = _from_new_address(client_for)
    assert _api_login(app_client, member.email, PASSWORD) == 201
    for n in range(12):
        assert _page_login(_from_new_address(client_for), member.email, f"x{n}") in (401, 429)
    app_client.environ_base["REMOTE_ADDR"] = next(addresses)
    assert _api_login(app_client, member.email, PASSWORD) == 201


def test_a_forged_device_cookie_is_ignored(
        owner_browser: tuple[Member, FlaskClient], client_for: ClientFor) -> None:
    member, browser = owner_browser
    cookie = browser.get_cookie(DEVICE_COOKIE, domain="reseau.localhost")
    assert cookie is not None
    for n in range(10):
        _page_login(_from_new_address(client_for), member.email, f"guess {n}")
    forged = _from_new_address(client_for)
    forged.set_cookie(DEVICE_COOKIE, cookie.value[:-4] + "AAAA", domain="reseau.localhost")
    assert _page_login(forged, member.email, PASSWORD) == 429


def test_a_password_reset_lets_new_devices_in_again(
        client_for: ClientFor, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    member = create_member("reseau")
    for n in range(10):
        _page_login(_from_new_address(client_for), member.email, f"guess {n}")
    phone = _from_new_address(client_for)
    assert _page_login(phone, member.email, PASSWORD) == 429
    assert phone.post("/forgot-password", data={"email": member.email}).status_code == 200
    run_jobs()
    [message] = mail.to(member.email)
    link = re.search(r"http://reseau\.localhost(/reset-password/\S+)", mail.body(message))[1]
    new = {"password": "a brand new one", "confirm": "a brand new one"}
    assert phone.post(link, data=new).status_code == 302
    assert _page_login(phone, member.email, "a brand new one") == 302


# --- the 429 answer -----------------------------------------------------------------------

def test_limited_login_page_keeps_the_email_and_says_how_long_to_wait(
        app: Flask, client_for: ClientFor) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    client = _from_new_address(client_for, "acme")
    for _ in range(2):
        _page_login(client, "ann@acme.example", "secret guess")
    response = client.post("/login", data={"email": "ann@acme.example",
                                           "password": "secret guess"})
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 60
    page = response.get_data(as_text=True)
    assert re.search(r"Try again in \d+ seconds?\.", page)
    assert 'value="ann@acme.example"' in page
    assert "secret guess" not in page
    assert 'name="password"' in page  # the form itself, ready for the next try


def test_limited_login_page_in_french(app: Flask, client_for: ClientFor) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    client = _from_new_address(client_for, "academia")
    _page_login(client, "anne@example.org", "mauvais")
    response = client.post("/login", data={"email": "anne@example.org", "password": "mauvais"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert re.search(r"Trop de tentatives\. Réessayez dans \d+\u00a0secondes?\.", page)
    assert 'value="anne@example.org"' in page


def test_limited_wait_in_minutes(app: Flask, client_for: ClientFor) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "1 per hour"
    client = _from_new_address(client_for, "acme")
    _page_login(client, "ann@acme.example", "guess")
    page = client.post("/login", data={"email": "ann@acme.example", "password": "guess"}
                       ).get_data(as_text=True)
    assert re.search(r"Try again in \d+ minutes?\.", page)


def test_limited_registration_keeps_its_fields(app: Flask, client_for: ClientFor) -> None:
    app.config["REGISTRATION_RATE_LIMIT"] = "1 per hour"
    client = _from_new_address(client_for, "reseau")
    client.post("/register", data={"name": "First", "email": "first@example.org",
                                   "password": "long enough password"})
    response = client.post("/register", data={"name": "Claire Dupont",
                                               "email": "claire@example.org",
                                               "password": "hidden password"})
    assert response.status_code == 429
    assert response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert 'value="Claire Dupont"' in page
    assert 'value="claire@example.org"' in page
    assert "hidden password" not in page
    assert "Réessayez dans" in page  # reseau is a French instance


def test_registration_page_and_api_share_one_counter(app: Flask, client_for: ClientFor) -> None:
    app.config["REGISTRATION_RATE_LIMIT"] = "2 per hour"
    client = _from_new_address(client_for, "reseau")
    page = client.post("/register", data={"name": "Page", "email": "page@example.org",
                                          "password": "long enough password"})
    api = client.post("/api/v1/members", json={"name": "Api", "email": "api@example.org",
                                               "password": "long enough password"})
    assert page.status_code != 429 and api.status_code != 429
    again = client.post("/api/v1/members", json={"name": "Third", "email": "third@example.org",
                                                 "password": "long enough password"})
    assert again.status_code == 429  # alternating between page and API buys nothing
    assert client.post("/register", data={"name": "Fourth", "email": "fourth@example.org",
                                          "password": "long enough password"}
                       ).status_code == 429


@pytest.mark.parametrize("path", ["/forgot-password", "/verify"])
def test_limited_mail_forms_keep_the_address(app: Flask, client_for: ClientFor,
                                             path: str) -> None:
    app.config["MAIL_RATE_LIMIT"] = "1 per hour"
    for _ in range(1):
        _from_new_address(client_for, "acme").post(path, data={"email": "bob@acme.example"})
    response = _from_new_address(client_for, "acme").post(path,
                                                          data={"email": "bob@acme.example"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert 'value="bob@acme.example"' in page
    assert re.search(r"Try again in \d+ minutes?\.", page)


def test_api_429_is_json_with_retry_after(app: Flask, client_for: ClientFor) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    client = _from_new_address(client_for, "acme")
    assert _api_login(client, "ann@acme.example", "guess") == 401
    for _limit in ("address", "account"):
        response = client.post("/api/v1/tokens",
                               json={"email": "ann@acme.example", "password": "guess"})
        assert response.status_code == 429
        body = response.get_json()
        assert body["error"]["code"] == "rate_limited"
        wait = body["error"]["retry_after"]
        assert isinstance(wait, int) and 0 < wait <= 60
        assert response.headers["Retry-After"] == str(wait)
        client.environ_base["REMOTE_ADDR"] = next(addresses)
