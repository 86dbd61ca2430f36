"""Two communities of one deployment connect through federation without HTTP to themselves
(decision 58): the lookup, the Follow, the Accept and the policies run as with any server, the
requests handed to the application in the same process. The test app's federation may not
touch the network at all (FEDERATION_DEV_NETWORK off: an http:// loopback address would be
refused), so each step passing shows the local exchange did it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from maillon.db import db
from maillon.federation.models import Delivery, InboxActivity, RemoteConnection
from tests.federation.test_connections import _drain


def _api(client_for: Callable[[str], Any], person: dict[str, Any]) -> Any:
    return client_for(person["slug"])


def _connections(client_for: Any, person: dict[str, Any]) -> list[dict[str, Any]]:
    answer = _api(client_for, person).get("/api/v1/remote-connections", headers=person["auth"])
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["results"])


def test_sister_communities_connect_through_the_app_itself(app, sisters, client_for, login):
    claire, bruno = sisters["claire"], sisters["bruno"]
    academia = _api(client_for, claire)
    found = academia.get("/api/v1/remote-people", query_string={"address": bruno["address"]},
                         headers=claire["auth"])
    assert found.status_code == 200, found.get_json()
    person = found.get_json()
    assert person["name"] == "Bruno Marin"
    assert person["community"] == "Réseau Entraide"  # not just a host name

    asked = academia.post("/api/v1/remote-connections", json={"address": bruno["address"]},
                          headers=claire["auth"])
    assert asked.status_code == 201 and asked.get_json()["status"] == "pending", asked.get_json()
    _drain(app)  # academia's worker delivers the Follow; reseau's inbox job takes it in
    _drain(app)
    [request] = _connections(client_for, bruno)
    assert request["status"] == "requested"
    assert request["person"]["name"] == "Claire Martin"
    assert request["person"]["community"] == "Academia"

    accepted = _api(client_for, bruno).post(
        "/api/v1/remote-connections", json={"address": claire["address"]}, headers=bruno["auth"])
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "connected"
    _drain(app)
    _drain(app)
    [connection] = _connections(client_for, claire)
    assert connection["status"] == "connected"

    # Each sees the other in their own community's pages, marked with the other community.
    page = login(claire["member"], "academia").get("/network").get_data(as_text=True)
    assert "Bruno Marin" in page and "from Réseau Entraide" in page
    with app.app_context():
        # Every delivery went through (nothing waits to be retried), and each side received
        # the other's activity in its own inbox rows.
        assert {d.status for d in db.session.scalars(select(Delivery))} == {"delivered"}
        received = db.session.execute(select(InboxActivity.type, InboxActivity.instance_id)).all()
        assert {t for t, _ in received} >= {"Follow", "Accept"}
        assert len({i for _, i in received}) == 2


def test_a_community_that_suspends_its_sister_is_closed_to_her(app, sisters, client_for,
                                                                federate):
    """Reseau suspends academia: its actors refuse academia's signed fetches (as a Mastodon
    server in secure mode does), so Claire cannot even look Bruno up, and nothing reaches him."""
    claire, bruno = sisters["claire"], sisters["bruno"]
    federate("reseau", servers=[{"domain": "academia.localhost", "severity": "suspend"}])
    asked = _api(client_for, claire).post(
        "/api/v1/remote-connections", json={"address": bruno["address"]}, headers=claire["auth"])
    assert asked.status_code == 502, asked.get_json()
    assert asked.get_json()["error"]["code"] == "remote_unreachable"
    _drain(app)
    with app.app_context():
        assert db.session.scalar(select(Delivery)) is None
        assert db.session.scalar(select(InboxActivity)) is None
    assert _connections(client_for, bruno) == []


def test_a_community_that_blocks_its_sister_does_not_ask_her(app, sisters, client_for,
                                                            federate):
    claire, bruno = sisters["claire"], sisters["bruno"]
    federate("academia", servers=[{"domain": "reseau.localhost", "severity": "suspend"}])
    found = _api(client_for, claire).get(
        "/api/v1/remote-people", query_string={"address": bruno["address"]},
        headers=claire["auth"])
    assert found.status_code == 403
    assert found.get_json()["error"]["code"] == "server_refused"


def test_a_follow_from_a_suspended_sister_is_refused_at_the_inbox(app, sisters, client_for,
                                                                  federate):
    """The suspension comes after Claire asked: her queued Follow is refused by reseau's inbox
    (403, final) and Bruno is never asked."""
    claire, bruno = sisters["claire"], sisters["bruno"]
    asked = _api(client_for, claire).post(
        "/api/v1/remote-connections", json={"address": bruno["address"]}, headers=claire["auth"])
    assert asked.status_code == 201, asked.get_json()
    federate("reseau", servers=[{"domain": "academia.localhost", "severity": "suspend"}])
    _drain(app)
    _drain(app)
    with app.app_context():
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert delivery.status == "rejected" and delivery.last_status == 403
        assert db.session.scalar(select(InboxActivity)) is None
    assert _connections(client_for, bruno) == []


def test_without_the_local_exchange_the_sister_is_out_of_reach(app, sisters, client_for):
    """The same lookup with the local exchange off goes to the network, which this
    configuration refuses for a loopback http address: the exchange above is what worked."""
    app.config["FEDERATION_LOCAL_EXCHANGE"] = False
    claire, bruno = sisters["claire"], sisters["bruno"]
    found = _api(client_for, claire).get(
        "/api/v1/remote-people", query_string={"address": bruno["address"]},
        headers=claire["auth"])
    assert found.status_code == 502
    assert found.get_json()["error"]["code"] == "remote_unreachable"


def test_the_exchange_leaves_the_callers_request_alone(app, sisters, client_for, login):
    """The page that looked someone up in the sister community is still the asker's own:
    her community's header, her session (the handed-over request had a context of its own)."""
    claire, bruno = sisters["claire"], sisters["bruno"]
    page = login(claire["member"], "academia").get(
        "/network/remote", query_string={"address": bruno["address"]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert "Bruno Marin" in text and "from Réseau Entraide" in text
    assert "<title>" in text and "Academia" in text.split("</title>")[0]
    assert "Réseau Entraide" not in text.split("</title>")[0]
    with app.app_context():
        assert db.session.scalar(select(RemoteConnection)) is None


def test_the_exchange_gives_the_answers_headers(app, sisters):
    """A redirect's Location reaches the caller as over HTTP (the lookup follows redirects)."""
    from maillon.federation import local

    headers: dict[str, str] = {}
    with app.app_context():
        status, _ = local.exchange("GET", "http://reseau.localhost/actor",
                                   {"Accept": "text/html"}, None, 1000, headers)
    assert status == 303
    assert headers["location"] == "http://reseau.localhost/"


def test_the_deployments_origins_are_its_instances_own(app):
    """In production (no local links) an instance is ours at its canonical origin and at each
    of its hosts over the deployment's scheme; another server, or another port, is not."""
    from maillon.federation import local

    app.config.update(LOCAL_LINKS=False, SERVER_NAME_SCHEME="https")
    with app.app_context():
        assert local.local_slug("https://reseau-entraide.example.org/inbox") == "reseau"
        assert local.local_slug("https://reseau.localhost/ap/members/1") == "reseau"
        assert local.local_slug("https://reseau-entraide.example.org:8443/inbox") is None
        assert local.local_slug("https://mastodon.example/inbox") is None
        app.config["FEDERATION_LOCAL_EXCHANGE"] = False
        assert local.local_slug("https://reseau-entraide.example.org/inbox") is None
