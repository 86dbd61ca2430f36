"""Searching the deployment's other communities (decision 59): Claire (Academia) finds the
people of Réseau Entraide who chose to be reachable *and* searchable from other servers, and
nobody else of it; only while Réseau is discoverable and lets Academia in without limit; and
``/ap/search`` answers signed, verified requests only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.federation.test_connections import _drain

HEADLINE = "Plombier chauffagiste · Bordeaux"


@pytest.fixture
def plumbers(app: Flask, sisters: dict[str, Any], create_member: Callable[..., Any],
             opt_in: Callable[..., str], federate: Any) -> dict[str, Any]:
    """Réseau, discoverable, with four plumbers: Bruno (reachable and searchable), Hugo
    (reachable, not searchable), Inès (searchable but her profile hidden from the directory)
    and Jules (not reachable at all)."""
    federate("reseau", discoverable=True)
    bruno = sisters["bruno"]["member"]
    opt_in(bruno, indexable=True)
    hugo = create_member("reseau", name="Hugo Plombier", headline=HEADLINE)
    opt_in(hugo)
    ines = create_member("reseau", name="Inès Plombière", headline=HEADLINE,
                         visibility={"in_directory": False})
    opt_in(ines, indexable=True)
    create_member("reseau", name="Jules Plombier", headline=HEADLINE)
    from maillon.db import db
    from tests.federation.conftest import member_row

    with app.app_context():
        row = member_row(bruno.id)
        row.headline = HEADLINE
        db.session.commit()
        from maillon.members.signals import member_changed

        member_changed.send(db.session, member=member_row(bruno.id))
        db.session.commit()
    _drain(app)  # the search index takes them in
    return sisters


def _other(client_for: Any, person: dict[str, Any], q: str = "plombier") -> Any:
    return client_for(person["slug"]).get("/api/v1/search/other-communities",
                                          query_string={"q": q}, headers=person["auth"])


def _names(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.get_json()
    return [r["name"] for r in answer.get_json()["results"]]


def test_only_people_who_chose_to_be_found_are_found(plumbers, client_for):
    answer = _other(client_for, plumbers["claire"])
    assert _names(answer) == ["Bruno Marin"]
    [bruno] = answer.get_json()["results"]
    assert bruno["community"] == "Réseau Entraide"
    assert bruno["handle"].startswith("bruno.marin@reseau.localhost")
    assert bruno["id"].startswith("http://reseau.localhost/ap/members/")


def test_a_community_that_is_not_discoverable_answers_nothing(plumbers, client_for, federate):
    federate("reseau", discoverable=False)
    assert _names(_other(client_for, plumbers["claire"])) == []


@pytest.mark.parametrize("severity", ["limit", "suspend"])
def test_a_limited_or_suspended_sister_learns_nothing(plumbers, client_for, federate,
                                                      severity):
    federate("reseau", servers=[{"domain": "academia.localhost", "severity": severity}])
    assert _names(_other(client_for, plumbers["claire"])) == []


def test_a_community_that_blocks_its_sister_does_not_ask(plumbers, client_for, federate, app):
    federate("academia", servers=[{"domain": "reseau.localhost", "severity": "suspend"}])
    assert _names(_other(client_for, plumbers["claire"])) == []


def test_the_search_page_shows_them_marked_with_their_community(plumbers, login, app):
    page = login(plumbers["claire"]["member"], "academia").get(
        "/search", query_string={"q": "plombier"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    section = text.split('id="other-communities"')[1]
    assert "Bruno Marin" in section and "from Réseau Entraide" in section
    assert "Hugo Plombier" not in text and "Jules Plombier" not in text
    assert 'name="address" value="http://reseau.localhost/ap/members/' in section


def test_the_search_endpoint_wants_a_verified_signature(plumbers, client_for, app):
    reseau = client_for("reseau")
    unsigned = reseau.get("/ap/search", query_string={"q": "plombier"})
    assert unsigned.status_code == 401
    assert unsigned.get_json()["error"]["code"] == "unsigned"
    # A signature that names an allowed server's key but was not made with it.
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric import rsa

    from maillon.federation.signatures import sign_request

    url = "http://reseau.localhost/ap/search?q=plombier"
    forged = sign_request("GET", url, key_id="http://academia.localhost/actor#key-1",
                          private_key=rsa.generate_private_key(public_exponent=65537,
                                                               key_size=2048),
                          now=datetime.now(UTC))
    answer = reseau.get("/ap/search", query_string={"q": "plombier"}, headers=forged)
    assert answer.status_code == 401, answer.get_json()
    assert answer.get_json()["error"]["code"] == "bad_signature"


def test_a_query_beyond_ascii_is_signed_and_verified_as_sent(plumbers, client_for):
    """The signature covers the request target as sent (percent-encoded), not the decoded
    form a framework may rebuild: "chauffagiste à Bordeaux" must verify."""
    assert _names(_other(client_for, plumbers["claire"], "chauffagiste à Bordeaux")) == [
        "Bruno Marin"]
