"""Network pages: connect, accept, the private trust prompt, contacts, badges, advice."""

import re

import pytest
from sqlalchemy import func, select

from maillon.db import db
from maillon.members.models import Member
from maillon.network import services
from maillon.network.models import Connection
from maillon.tenancy.models import Instance
from tests.network.test_connections import connect


def _row(app, a, b):
    with app.app_context():
        row = db.session.scalar(select(Connection).where(
            Connection.low_id == min(a.id, b.id), Connection.high_id == max(a.id, b.id)))
        if row is not None:
            db.session.expunge(row)
        return row


def _set_trust(app, member, connection_id, value, slug="acme"):
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == slug))
        services.set_trust(db.session, instance, db.session.get(Member, member.id),
                           connection_id, value)


def test_connect_accept_and_rate_through_the_pages(app, create_member, login):
    a = create_member("acme", name="Alice Archer")
    b = create_member("acme", name="Bruno Baker")
    alice, bruno = login(a, "acme"), login(b, "acme")
    page = alice.get(f"/members/{b.id}").get_data(as_text=True)
    assert "Connect" in page
    for _ in range(2):  # a double submit makes one invitation
        response = alice.post(f"/members/{b.id}/connect", data={"message": "We met in Lyon"})
        assert response.status_code == 302
    assert "Invitation sent" in alice.get(f"/members/{b.id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Connection.id))) == 1
    row = _row(app, a, b)
    network = bruno.get("/network").get_data(as_text=True)
    assert "We met in Lyon" in network and "Alice Archer" in network
    response = bruno.post(f"/network/connections/{row.id}/accept")
    assert response.headers["Location"].endswith(f"/network/connections/{row.id}/trust")
    prompt = bruno.get(response.headers["Location"]).get_data(as_text=True)
    assert "How well do you know Alice Archer?" in prompt and "Worked closely for years" in prompt
    assert bruno.post(f"/network/connections/{row.id}/accept").status_code == 302  # replay
    response = bruno.post(f"/network/connections/{row.id}/trust", data={"trust": "5"})
    assert response.status_code == 302
    assert "Only you can see it" in bruno.get("/network").get_data(as_text=True)
    row = _row(app, a, b)
    assert row.status == "connected" and row.trust_addressee == 5 and row.rated_addressee
    assert 'data-own-trust="5"' in bruno.get("/network").get_data(as_text=True)


def test_accept_with_one_click_trust(app, create_member, login):
    a, b = create_member("acme"), create_member("acme")
    login(a, "acme").post(f"/members/{b.id}/connect", data={"message": ""})
    row = _row(app, a, b)
    response = login(b, "acme").post(f"/network/connections/{row.id}/accept",
                                     data={"trust": "2"})
    assert response.headers["Location"].endswith("/network")
    assert _row(app, a, b).trust_addressee == 2


def test_the_other_sides_rating_never_shows(app, create_member, login):
    a, b = create_member("acme"), create_member("acme")
    connection_id = connect(app, a, b, "acme")
    _set_trust(app, a, connection_id, 5)
    _set_trust(app, b, connection_id, 1)
    alice, bruno = login(a, "acme"), login(b, "acme")
    mine = alice.get("/network").get_data(as_text=True)
    assert re.findall(r'data-own-trust="(\d)"', mine) == ["5"]
    theirs = bruno.get("/network").get_data(as_text=True)
    assert re.findall(r'data-own-trust="(\d)"', theirs) == ["1"]
    trust_page = bruno.get(f"/network/connections/{connection_id}/trust").get_data(as_text=True)
    assert re.findall(r'data-own-trust="(\d)"', trust_page) == ["1"]
    for client, other in ((alice, b), (bruno, a)):
        for url in (f"/members/{other.id}", f"/members/{other.id}/contacts", "/members"):
            assert "data-own-trust" not in client.get(url).get_data(as_text=True)


def test_decline_withdraw_and_remove(app, create_member, login):
    a, b, c = (create_member("acme") for _ in range(3))
    alice = login(a, "acme")
    alice.post(f"/members/{b.id}/connect", data={})
    alice.post(f"/members/{c.id}/connect", data={})
    to_b, to_c = _row(app, a, b), _row(app, a, c)
    bruno = login(b, "acme")
    bruno.post(f"/network/connections/{to_b.id}/decline")
    assert _row(app, a, b).status == "declined"
    alice.post(f"/network/connections/{to_c.id}/remove")
    assert _row(app, a, c).status == "withdrawn"
    connection_id = connect(app, b, c, "acme")
    bruno.post(f"/network/connections/{connection_id}/remove")
    assert _row(app, b, c).status == "removed"


def test_refused_actions_are_messages_not_errors(app, create_member, login):
    a, b = create_member("acme"), create_member("acme")
    alice = login(a, "acme")
    alice.post(f"/members/{b.id}/connect", data={})
    row = _row(app, a, b)
    response = alice.post(f"/network/connections/{row.id}/accept", follow_redirects=True)
    assert response.status_code == 200
    assert "Only the invited member can accept" in response.get_data(as_text=True)
    response = alice.post(f"/members/{a.id}/connect", data={}, follow_redirects=True)
    assert "cannot connect with yourself" in response.get_data(as_text=True)
    response = alice.post(f"/network/connections/{row.id}/trust", data={"trust": "9"},
                          follow_redirects=True)
    assert response.status_code == 200
    response = alice.post(f"/network/connections/{row.id}/trust", data={"trust": "3"},
                          follow_redirects=True)
    assert "You can rate only your connections" in response.get_data(as_text=True)
    response = alice.post(f"/members/{b.id}/connect", data={"message": "x" * 1001},
                          follow_redirects=True)
    assert response.status_code == 200


def test_another_instances_ids_are_404_on_pages(app, create_member, login):
    a, b = create_member("reseau"), create_member("reseau")
    x = create_member("acme")
    connection_id = connect(app, a, b)
    outsider = login(x, "acme")
    assert outsider.post(f"/members/{a.id}/connect", data={}).status_code == 404
    assert outsider.get(f"/members/{a.id}/contacts").status_code == 404
    for action in ("accept", "decline", "remove", "trust"):
        assert outsider.post(f"/network/connections/{connection_id}/{action}",
                             data={"trust": "3"}).status_code == 404
    assert outsider.get(f"/network/connections/{connection_id}/trust").status_code == 404
    # A party of the connection, on the wrong host, is a stranger too.
    assert login(a, "reseau").get(f"/network/connections/{connection_id}/trust",
                                  base_url="http://acme.localhost").status_code in (302, 404)


@pytest.mark.parametrize("setting", ["nobody", "connections", "second_degree", "members"])
def test_contacts_page_follows_the_setting(app, create_member, login, setting):
    owner = create_member("acme", name="Olga Owner",
                          visibility={"in_directory": True, "contacts_visible_to": setting})
    first = create_member("acme", name="Fiona First")
    second = create_member("acme", name="Sam Second")
    stranger = create_member("acme", name="Stan Stranger")
    connect(app, owner, first, "acme")
    connect(app, first, second, "acme")
    allowed = {"nobody": [owner], "connections": [owner, first],
               "second_degree": [owner, first, second],
               "members": [owner, first, second, stranger]}[setting]
    for viewer in (owner, first, second, stranger):
        response = login(viewer, "acme").get(f"/members/{owner.id}/contacts")
        page = response.get_data(as_text=True)
        if viewer in allowed:
            assert response.status_code == 200 and "Fiona First" in page
        else:
            assert response.status_code == 403 and "Fiona First" not in page
            assert "contacts are not visible to you" in page


def test_degree_badges_and_shared_connections(app, create_member, login):
    a = create_member("acme", name="Ann A")
    b = create_member("acme", name="Ben B")
    c = create_member("acme", name="Cat C",
                      visibility={"in_directory": True, "contacts_visible_to": "members"})
    d = create_member("acme", name="Dan D")
    connect(app, a, b, "acme")
    connect(app, b, c, "acme")
    connect(app, c, d, "acme")
    ann = login(a, "acme")
    profile = ann.get(f"/members/{c.id}").get_data(as_text=True)
    assert "2nd" in profile and "1 shared connection" in profile and "Ben B" in profile
    assert "See contacts" in profile
    assert "3rd" in ann.get(f"/members/{d.id}").get_data(as_text=True)
    assert "1st" in ann.get(f"/members/{b.id}").get_data(as_text=True)
    directory = ann.get("/members").get_data(as_text=True)
    assert all(badge in directory for badge in ("1st", "2nd", "3rd"))


def test_degree_badges_in_french(app, create_member, login):
    a, b, c, d = (create_member("reseau") for _ in range(4))
    connect(app, a, b)
    connect(app, b, c)
    connect(app, c, d)
    client = login(a, "reseau")
    assert ">1er<" in client.get(f"/members/{b.id}").get_data(as_text=True)
    assert ">2e<" in client.get(f"/members/{c.id}").get_data(as_text=True)
    assert ">3e<" in client.get(f"/members/{d.id}").get_data(as_text=True)


def test_search_shows_degrees_and_filters_by_degree(app, create_member, login, run_jobs):
    a = create_member("acme", name="Ann Seeker")
    b = create_member("acme", name="Ben Gardener", headline="gardener")
    c = create_member("acme", name="Cal Gardener", headline="gardener")
    create_member("acme", name="Dee Gardener", headline="gardener")
    connect(app, a, b, "acme")
    connect(app, b, c, "acme")
    run_jobs()
    client = login(a, "acme")
    page = client.get("/search?q=gardener").get_data(as_text=True)
    assert "1st" in page and "2nd" in page and "Dee Gardener" in page
    assert "Up to the 2nd degree" in page  # the degree facet
    page = client.get("/search?q=gardener&degree=1").get_data(as_text=True)
    assert "Ben Gardener" in page and "Cal Gardener" not in page
    page = client.get("/search?q=gardener&degree=2").get_data(as_text=True)
    assert "Cal Gardener" in page and "Dee Gardener" not in page


def test_network_page_shows_degrees_and_shared_connections(app, create_member, login):
    a = create_member("acme", name="Ann A")
    b = create_member("acme", name="Ben B")
    c = create_member("acme", name="Cat C")
    d = create_member("acme", name="Dan D")
    e = create_member("acme", name="Eve E")
    connect(app, a, b, "acme")
    connect(app, b, c, "acme")
    connect(app, a, e, "acme")
    connect(app, e, c, "acme")
    connect(app, c, d, "acme")
    login(c, "acme").post(f"/members/{a.id}/connect", data={"message": ""})  # received
    ann = login(a, "acme")
    ann.post(f"/members/{d.id}/connect", data={"message": ""})  # sent
    page = ann.get("/network").get_data(as_text=True)
    received = page[page.index('id="received-heading"'):page.index('id="sent-heading"')]
    assert "Cat C" in received and ">2nd<" in received and "2 shared connections" in received
    sent = page[page.index('id="sent-heading"'):page.index('id="connections-heading"')]
    assert "Dan D" in sent and ">3rd<" in sent
    connections = page[page.index('id="connections-heading"'):]
    assert connections.count(">1st<") == 2


def test_inviting_past_150_connections_reminds_but_never_refuses(app, create_member, login,
                                                                  monkeypatch):
    monkeypatch.setattr(services, "NETWORK_SIZE_ADVICE", 2)
    a, b, c, d = (create_member("acme") for _ in range(4))
    client = login(a, "acme")
    client.post(f"/members/{b.id}/connect", data={"message": ""})
    assert "network-advice" not in client.get("/network").get_data(as_text=True)
    connect(app, a, c, "acme")
    connect(app, a, d, "acme")
    e = create_member("acme")
    client.post(f"/members/{e.id}/connect", data={"message": ""})
    page = client.get(f"/members/{e.id}").get_data(as_text=True)
    assert "Invitation sent" in page and "more than 2 connections" in page


def test_network_size_advice_past_150_connections(app, create_member, login):
    hub = create_member("acme")
    others = [create_member("acme") for _ in range(services.NETWORK_SIZE_ADVICE + 1)]
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "acme"))
        for other in others[:-1]:
            row = services.request_connection(db.session, instance,
                                              db.session.get(Member, other.id), hub.id)
            services.accept_connection(db.session, instance, db.session.get(Member, hub.id),
                                       row.id)
    client = login(hub, "acme")
    assert "network-advice" not in client.get("/network").get_data(as_text=True)
    connect(app, others[-1], hub, "acme")
    page = client.get("/network").get_data(as_text=True)
    assert "network-advice" in page and "151 connections" in page
