"""The operator's pages: only on OPERATOR_HOST, only for a signed-in operator; creating,
moving, closing and reopening instances, naming admins; each change audited in the
instance's own log and served at once by this process and, within its refresh period, by
another process on the same database."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from maillon import create_app
from maillon.db import db
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.operators.accounts import create_operator
from maillon.tenancy.models import Instance

OPERATOR_HOST = "operator.localhost"
PASSWORD = "operator password"


@pytest.fixture
def operator_client(app) -> FlaskClient:
    with app.app_context():
        create_operator(db.session, "ops@example.net", PASSWORD)
    client = app.test_client()
    response = client.post("/operator/login", base_url=f"http://{OPERATOR_HOST}",
                           data={"email": "ops@example.net", "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return client


def op_get(client: FlaskClient, path: str):
    return client.get(path, base_url=f"http://{OPERATOR_HOST}")


def op_post(client: FlaskClient, path: str, data: dict):
    return client.post(path, base_url=f"http://{OPERATOR_HOST}", data=data)


NEW = {"slug": "atelier", "name": "Atelier des métiers", "locale": "fr", "theme": "classic",
       "hosts": "atelier.example.org", "admin_email": "Chef@Atelier.example.org",
       "admin_name": "Camille Chef"}


def _audit(app, slug: str) -> list[AuditEntry]:
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == slug))
        rows = list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.instance_id == instance.id).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return rows


def test_operator_pages_exist_only_on_the_operator_host(app, operator_client):
    assert op_get(operator_client, "/operator/").status_code == 200
    # The same cookie sent on an instance's host (or under a /i/ prefix) reaches nothing.
    for base in ("http://acme.localhost", "http://127.0.0.1"):
        assert operator_client.get("/operator/", base_url=base).status_code == 404
    assert operator_client.get("/i/acme/operator/", base_url="http://127.0.0.1").status_code \
        == 404
    # And the operator host serves no instance, not even through the development prefix.
    assert op_get(operator_client, "/i/acme/").status_code == 404
    assert op_get(operator_client, "/login").status_code == 404
    assert op_get(operator_client, "/api/v1/me").status_code == 404
    root = op_get(operator_client, "/")
    assert root.status_code == 302 and root.headers["Location"].endswith("/operator/")


def test_without_a_session_the_pages_ask_to_sign_in(app):
    client = app.test_client()
    for path in ("/operator/", "/operator/instances/new", "/operator/instances/acme"):
        response = op_get(client, path)
        assert response.status_code == 303 and "/operator/login" in response.headers["Location"]
    response = op_post(client, "/operator/instances/acme/status",
                       {"enabled": "0", "reason": "no"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Instance.status).where(Instance.slug == "acme")) == \
            "active"


def test_a_wrong_password_or_a_member_account_does_not_sign_in(app, create_member):
    with app.app_context():
        create_operator(db.session, "ops@example.net", PASSWORD)
    admin = create_member("acme", role="admin", email="boss@acme.example")
    client = app.test_client()
    for email, password in (("ops@example.net", "not the password"),
                            (admin.email, "a long password"),
                            ("nobody@example.net", PASSWORD)):
        response = op_post(client, "/operator/login", {"email": email, "password": password})
        assert response.status_code == 401
        assert "Wrong e-mail address or password." in response.get_data(as_text=True)
        assert op_get(client, "/operator/").status_code == 303


def test_logging_out_ends_the_session(app, operator_client):
    assert op_post(operator_client, "/operator/logout", {}).status_code == 303
    assert op_get(operator_client, "/operator/").status_code == 303


def test_the_overview_lists_every_instance_with_its_size(app, operator_client, create_member):
    create_member("acme", role="admin", email="boss@acme.example")
    page = op_get(operator_client, "/operator/").get_data(as_text=True)
    for slug in ("acme", "academia", "reseau"):
        assert f'/operator/instances/{slug}"' in page
    assert "boss@acme.example" in page


def test_creating_an_instance_serves_it_at_once_with_its_first_admin(
        app, operator_client, mail, run_jobs, client_for):
    response = op_post(operator_client, "/operator/instances/new", NEW)
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    assert response.headers["Location"].endswith("/operator/instances/atelier")
    home = app.test_client().get("/", base_url="http://atelier.example.org")
    assert home.status_code == 200
    assert "Atelier des métiers" in home.get_data(as_text=True)
    assert client_for("atelier").get("/").status_code == 200
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "atelier"))
        assert (instance.source, instance.setting("locale")) == ("operator", "fr")
        admin = db.session.scalar(select(Member).where(Member.instance_id == instance.id))
        assert (admin.email, admin.role, admin.name) == (
            "chef@atelier.example.org", "admin", "Camille Chef")
    [entry] = _audit(app, "atelier")
    assert (entry.action, entry.actor_name) == ("instance_created", "operator ops@example.net")
    # The first admin chooses a password through the link and can then sign in.
    run_jobs()
    [message] = mail.to("chef@atelier.example.org")
    link = re.search(r"http://\S+/reset-password/\S+", mail.body(message)).group(0)
    assert link.startswith("http://atelier.localhost/reset-password/")
    client = client_for("atelier")
    path = link.split("atelier.localhost", 1)[1]
    response = client.post(path, data={"password": "a brand new password",
                                       "confirm": "a brand new password"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    response = client_for("atelier").post("/login", data={
        "email": "chef@atelier.example.org", "password": "a brand new password"})
    assert response.status_code == 302


@pytest.mark.parametrize("change, field", [
    ({"slug": "Not A Slug"}, "Use 3 to 40 lower-case letters"),
    ({"slug": "acme"}, "This name is taken."),
    ({"slug": "api"}, "This name is taken."),
    ({"hosts": "network.acme.example"}, "network.acme.example is already used."),
    ({"hosts": OPERATOR_HOST}, "is already used."),
    ({"hosts": "bad_host!"}, "is not a host name."),
    ({"theme": "nope"}, "Choose a theme."),
    ({"admin_email": "not an address"}, "not a valid e-mail address"),
    ({"name": ""}, "Give a name"),
])
def test_a_bad_instance_is_refused_with_the_reason_and_nothing_is_created(
        app, operator_client, change, field):
    if change.get("hosts") == "network.acme.example":
        with app.app_context():
            assert "network.acme.example" in app.extensions["maillon.instances"].hosts
    response = op_post(operator_client, "/operator/instances/new", {**NEW, **change})
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Instance).where(Instance.slug == "atelier")) is None
        assert db.session.scalar(select(Member).where(
            Member.email == "chef@atelier.example.org")) is None


def test_the_same_instance_created_twice_is_refused_the_second_time(app, operator_client):
    assert op_post(operator_client, "/operator/instances/new", NEW).status_code == 303
    again = op_post(operator_client, "/operator/instances/new", NEW)
    assert again.status_code == 422 and "This name is taken." in again.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Instance).where(
            Instance.slug == "atelier")).all()) == 1


def test_moving_an_instance_changes_its_hosts_and_theme(app, operator_client):
    client = app.test_client()
    assert client.get("/", base_url="http://network.acme.example").status_code == 200
    response = op_post(operator_client, "/operator/instances/acme/placement",
                       {"hosts": "people.acme.example", "theme": "classic"})
    assert response.status_code == 303
    assert client.get("/", base_url="http://network.acme.example").status_code == 404
    page = client.get("/", base_url="http://people.acme.example")
    assert page.status_code == 200 and 'data-theme="classic"' in page.get_data(as_text=True)
    [entry] = _audit(app, "acme")
    assert entry.action == "instance_moved"
    assert entry.data["new"] == {"hosts": ["people.acme.example"], "theme": "classic"}
    assert "network.acme.example" in entry.data["old"]["hosts"]


def test_closing_an_instance_answers_closed_everywhere_until_it_opens_again(
        app, operator_client, create_member):
    member = create_member("reseau")
    api = app.test_client()
    with app.app_context():
        from maillon.accounts.services import issue_api_token

        token = issue_api_token(db.session, db.session.get(Member, member.id))
    refused = op_post(operator_client, "/operator/instances/reseau/status",
                      {"enabled": "0", "reason": ""})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    response = op_post(operator_client, "/operator/instances/reseau/status",
                       {"enabled": "0", "reason": "Association dissolved"})
    assert response.status_code == 303
    page = app.test_client().get("/", base_url="http://reseau.localhost")
    assert page.status_code == 503
    assert "closed for now" in page.get_data(as_text=True)
    answer = api.get("/api/v1/me", base_url="http://reseau.localhost",
                     headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 503 and answer.json["error"]["code"] == "instance_disabled"
    # The other instances are untouched.
    assert app.test_client().get("/", base_url="http://acme.localhost").status_code == 200
    assert op_post(operator_client, "/operator/instances/reseau/status",
                   {"enabled": "1"}).status_code == 303
    assert app.test_client().get("/", base_url="http://reseau.localhost").status_code == 200
    answer = api.get("/api/v1/me", base_url="http://reseau.localhost",
                     headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    actions = [(e.action, e.reason) for e in _audit(app, "reseau")]
    assert actions == [("instance_disabled", "Association dissolved"), ("instance_enabled", "")]


def test_naming_an_admin_by_address(app, operator_client, create_member):
    member = create_member("academia", email="prof@univ.example")
    other = create_member("acme", email="prof2@acme.example")
    response = op_post(operator_client, "/operator/instances/academia/admins",
                       {"email": "PROF@univ.example"})
    assert response.status_code == 303
    # A member of another instance is not found through this one.
    refused = op_post(operator_client, "/operator/instances/academia/admins",
                      {"email": other.email})
    assert refused.status_code == 422
    assert "No member of this community" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Member, member.id).role == "admin"
        assert db.session.get(Member, other.id).role == "member"
    [entry] = _audit(app, "academia")
    assert (entry.action, entry.actor_name, entry.data) == (
        "role_changed", "operator ops@example.net", {"old": "member", "new": "admin"})


def test_another_process_serves_a_created_instance_within_its_refresh_period(
        app, app_config, operator_client):
    other = create_app({**app_config, "INSTANCE_REFRESH_SECONDS": 0})
    try:
        client = other.test_client()
        assert client.get("/", base_url="http://atelier.example.org").status_code == 404
        assert op_post(operator_client, "/operator/instances/new", NEW).status_code == 303
        assert client.get("/", base_url="http://atelier.example.org").status_code == 200
        op_post(operator_client, "/operator/instances/atelier/status",
                {"enabled": "0", "reason": "Paused"})
        assert client.get("/", base_url="http://atelier.example.org").status_code == 503
    finally:
        other.extensions["maillon.engine"].dispose()


def test_unknown_instance_pages_are_404(app, operator_client):
    assert op_get(operator_client, "/operator/instances/nope").status_code == 404
    assert op_post(operator_client, "/operator/instances/nope/status",
                   {"enabled": "0", "reason": "x"}).status_code == 404
