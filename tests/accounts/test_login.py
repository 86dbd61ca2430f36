"""Logging in and out, sessions bound to their instance, throttling, CSRF, password reset."""

import re

import pytest

from tests.conftest import PASSWORD


def test_login_and_logout(login, create_member):
    member = create_member("reseau")
    client = login(member, "reseau")
    assert client.get(f"/members/{member.id}").status_code == 200
    client.post("/logout")
    response = client.get(f"/members/{member.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_replayed_cookie_after_logout_is_refused(login, create_member, client_for):
    member = create_member("reseau")
    client = login(member, "reseau")
    cookie = client.get_cookie("session", domain="reseau.localhost")
    assert cookie is not None
    client.post("/logout")
    attacker = client_for("reseau")
    attacker.set_cookie("session", cookie.value, domain="reseau.localhost")
    response = attacker.get(f"/members/{member.id}")
    assert response.status_code == 302  # sent to the login page: the session is revoked


def test_session_cookie_of_one_instance_is_useless_on_another(login, create_member,
                                                               client_for):
    member = create_member("reseau")
    client = login(member, "reseau")
    cookie = client.get_cookie("session", domain="reseau.localhost")
    other = client_for("acme")
    other.set_cookie("session", cookie.value, domain="acme.localhost")
    response = other.get(f"/members/{member.id}")
    assert response.status_code in (302, 404)
    assert response.status_code != 200


def test_unknown_email_and_wrong_password_get_the_same_answer(client_for, create_member):
    member = create_member("reseau")
    wrong = client_for("reseau").post("/login", data={"email": member.email,
                                                      "password": "not it at all"})
    unknown = client_for("reseau").post("/login", data={"email": "nobody@example.org",
                                                        "password": "not it at all"})
    assert wrong.status_code == unknown.status_code == 401
    strip = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub("", wrong.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True))


def test_unknown_email_still_checks_a_password_hash(ctx, instances, monkeypatch):
    """The time of an unknown-address attempt matches a wrong password: a hash is computed."""
    from maillon import security
    from maillon.accounts import services
    from maillon.db import db
    from maillon.errors import ServiceError

    calls = []
    real = security.check_password_hash
    monkeypatch.setattr(security, "check_password_hash",
                        lambda h, p: calls.append(h) or real(h, p))
    with pytest.raises(ServiceError):
        services.authenticate(db.session, instances["reseau"], "nobody@example.org", "x" * 12)
    assert len(calls) == 1


def test_login_is_throttled(client_for, create_member):
    member = create_member("reseau")
    client = client_for("reseau")
    statuses = [client.post("/login", data={"email": member.email, "password": "wrong one!"}
                            ).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_csrf_is_required_on_forms(app_config, create_member):
    from maillon import create_app
    from tests.conftest import InstanceClient

    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    client = InstanceClient(app, app.response_class, use_cookies=True,
                            base_url="http://reseau.localhost")
    member = create_member("reseau")
    response = client.post("/login", data={"email": member.email, "password": PASSWORD},
                           headers={"Referer": "http://reseau.localhost/login?next=/network"})
    assert response.status_code == 400
    # Said in the page's language, with a way back to the form (never Flask-WTF's English).
    text = response.get_data(as_text=True)
    assert "Le formulaire a expiré" in text and "Rechargez la page" in text
    assert 'href="/login?next=/network"' in text and "CSRF" not in text
    response = client.post("/login", data={"email": member.email, "password": PASSWORD},
                           headers={"Referer": "http://evil.example/login"})
    assert 'href="http://evil.example' not in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": member.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    app.extensions["maillon.engine"].dispose()


def test_password_reset(client_for, create_member, mail, run_jobs, login):
    member = create_member("reseau")
    other = login(member, "reseau")  # a session open elsewhere
    client = client_for("reseau")
    response = client.post("/forgot-password", data={"email": member.email})
    assert response.status_code == 200
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert unknown.get_data(as_text=True) == response.get_data(as_text=True)
    run_jobs()
    [message] = mail.to(member.email)
    link = re.search(r"http://reseau\.localhost(/reset-password/\S+)", mail.body(message))[1]
    response = client.post(link, data={"password": "a brand new one", "confirm": "a brand new one"})
    assert response.status_code == 302
    # old password refused, new accepted, other sessions ended
    assert client.post("/login", data={"email": member.email, "password": PASSWORD}
                       ).status_code == 401
    assert other.get(f"/members/{member.id}").status_code == 302
    assert client.post("/login", data={"email": member.email, "password": "a brand new one"}
                       ).status_code == 302
    # the link is single-use
    assert client_for("reseau").post(link, data={"password": "another one!",
                                                 "confirm": "another one!"}).status_code == 200


def test_suspended_member_cannot_log_in(client_for, create_member):
    member = create_member("reseau", status="suspended")
    response = client_for("reseau").post("/login", data={"email": member.email,
                                                         "password": PASSWORD})
    assert response.status_code == 403


def test_language_switcher(client_for):
    client = client_for("acme")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"locale": "fr", "next": "/"})
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)


def test_instance_default_language(client_for):
    assert 'lang="fr"' in client_for("academia").get("/").get_data(as_text=True)
    assert 'lang="en"' in client_for("acme").get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/\\evil.example",
                                    "https://evil.example/", "/\n/evil.example"])
def test_login_never_redirects_off_site(client_for, create_member, target):
    member = create_member("reseau")
    response = client_for("reseau").post("/login", query_string={"next": target},
                                         data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    switched = client_for("reseau").post("/language", data={"locale": "en", "next": target})
    assert switched.headers["Location"] == "/"


def test_login_goes_back_to_the_page_asked_for(client_for, create_member):
    member = create_member("reseau")
    response = client_for("reseau").post("/login", query_string={"next": "/members?page=2"},
                                         data={"email": member.email, "password": PASSWORD})
    assert response.headers["Location"] == "/members?page=2"


def test_behind_a_proxy_throttling_counts_each_client(app_config, create_member):
    """With TRUSTED_PROXIES, one client's failures do not lock everyone else out."""
    from maillon import create_app
    from tests.conftest import InstanceClient

    app_config["TRUSTED_PROXIES"] = 1
    app = create_app(app_config)
    member = create_member("reseau")

    def attempt(client_address: str, email: str) -> int:
        client = InstanceClient(app, app.response_class, base_url="http://reseau.localhost")
        return client.post("/login", data={"email": email, "password": "wrong one!"},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [attempt("203.0.113.7", f"n{i}@example.org") for i in range(11)][-1] == 429
    assert attempt("198.51.100.9", member.email) == 401  # another client is still heard
    app.extensions["maillon.engine"].dispose()


def test_mail_sending_forms_are_limited_per_address(client_for, create_member):
    member = create_member("reseau")
    statuses = []
    for n in range(7):  # from several "addresses": the per-address limit still holds
        client = client_for("reseau")
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        statuses.append(client.post("/forgot-password", data={"email": member.email})
                        .status_code)
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]


def test_a_reset_ends_every_other_reset_link(client_for, create_member, mail, run_jobs):
    member = create_member("reseau")
    client = client_for("reseau")
    client.post("/forgot-password", data={"email": member.email})
    client.post("/forgot-password", data={"email": member.email})
    run_jobs()
    links = [re.search(r"http://reseau\.localhost(/reset-password/\S+)", mail.body(m))[1]
             for m in mail.to(member.email)]
    assert len(links) == 2
    new = {"password": "a brand new one", "confirm": "a brand new one"}
    assert client.post(links[0], data=new).status_code == 302
    assert client_for("reseau").post(links[1], data=new).status_code == 200  # refused


def test_registering_a_known_address_costs_the_same_hash(ctx, instances, create_member,
                                                         monkeypatch):
    from maillon import security
    from maillon.accounts import services
    from maillon.db import db

    create_member("academia", email="known@example.org")
    calls = []
    real = security.generate_password_hash
    monkeypatch.setattr(security, "generate_password_hash",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    services.register_member(db.session, instances["academia"], email="known@example.org",
                             password="a long password", name="Someone")
    assert calls == [1]
