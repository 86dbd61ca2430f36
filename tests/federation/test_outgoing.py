"""Connections a member starts with someone on another server, against the bovine peer: the
address is looked up (WebFinger, then the actor), shown with its "from <server>" marker, a
Follow signed by the member goes out (once, however often the button is pressed), the peer's
Accept makes the connection, and the member can withdraw or remove it. Refusals have stable
codes: a bad address, an unknown one, a refused server, federation off, a member not
reachable, an unreachable server (decision 53)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.federation.models import Delivery, RemoteActor, RemoteConnection
from tests.api.conftest import bearer, error_of
from tests.federation.conftest import AS, instance_row, member_row
from tests.federation.test_connections import _drain, _follow
from tests.processes import free_port


def _address(peer: Any) -> str:
    return f"@bob@{peer.origin.split('://', 1)[1]}"


def _token(app: Flask, member: Any) -> dict[str, str]:
    from maillon.accounts.services import issue_api_token

    with app.app_context():
        return bearer(issue_api_token(db.session, member_row(member.id)))


def _connections(app: Flask) -> list[RemoteConnection]:
    with app.app_context():
        rows = db.session.scalars(select(RemoteConnection)).all()
        db.session.expunge_all()
        return list(rows)


def _follows_received(peer: Any) -> list[dict[str, Any]]:
    return [r for r in peer.received if r["activity"]["type"] == "Follow"]


def test_the_lookup_shows_the_remote_person_with_their_server(app, ours, peer, ada, login):
    page = login(ada).get("/network/remote", query_string={"address": _address(peer)})
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    server = peer.origin.split("://", 1)[1]
    assert "Bob Peer" in text and f"from {server}" in text
    assert "Builds bridges &amp; ferries" in text  # their HTML as text, escaped by our page
    assert "<script>" not in text.split("Second line")[1][:40]
    assert "Ask to connect" in text
    with app.app_context():  # nothing is stored by a lookup
        assert db.session.scalar(select(RemoteActor)) is None


def test_asking_sends_one_signed_follow_and_their_accept_connects(
    app, ours, peer, ada, login, client_for
):
    client = login(ada)
    for _ in range(2):  # a double click
        answer = client.post("/network/remote", data={"address": _address(peer)})
        assert answer.status_code == 303
    [connection] = _connections(app)
    assert connection.status == "pending" and connection.our_follow_id
    _drain(app)
    [follow] = _follows_received(peer)
    actor = f"{ours}/ap/members/{ada.id}"
    assert follow["signer"] == actor  # bovine verified Ada's signature
    assert follow["activity"]["object"] == peer.actor_id
    assert follow["activity"]["id"] == connection.our_follow_id
    network = client.get("/network").get_data(as_text=True)
    assert "Requests sent to other servers" in network and "Bob Peer" in network
    # Their Accept, naming our Follow by its id.
    assert (
        peer.post(
            f"{ours}/inbox",
            {
                "@context": AS,
                "id": f"{peer.origin}/accepts/9",
                "type": "Accept",
                "actor": peer.actor_id,
                "object": connection.our_follow_id,
            },
        )[0]
        == 202
    )
    _drain(app)
    [connection] = _connections(app)
    assert connection.status == "connected"
    network = client.get("/network").get_data(as_text=True)
    server = peer.origin.split("://", 1)[1]
    section = network.split('id="remote"')[1]
    assert "Connections on other servers" in section
    assert "Bob Peer" in section.split("Connections on other servers")[1]
    assert f"from {server}" in section
    # Asking again once connected sends nothing more.
    client.post("/network/remote", data={"address": _address(peer)})
    _drain(app)
    assert len(_follows_received(peer)) == 1


def test_their_reject_declines_and_asking_again_sends_a_new_follow(app, ours, peer, ada):
    from maillon.federation.outgoing import connect_remote_person

    with app.app_context():
        connect_remote_person(db.session, instance_row("reseau"), member_row(ada.id),
                              _address(peer))
    _drain(app)
    [connection] = _connections(app)
    peer.post(
        f"{ours}/inbox",
        {"@context": AS, "id": f"{peer.origin}/rejects/1", "type": "Reject",
         "actor": peer.actor_id, "object": {"id": connection.our_follow_id, "type": "Follow"}},
    )
    _drain(app)
    assert _connections(app)[0].status == "declined"
    with app.app_context():
        _, _, sent = connect_remote_person(
            db.session, instance_row("reseau"), member_row(ada.id), _address(peer)
        )
    assert sent
    _drain(app)
    follows = _follows_received(peer)
    assert len(follows) == 2 and follows[0]["activity"]["id"] != follows[1]["activity"]["id"]


def test_withdrawing_a_request_sends_undo_of_the_follow(app, ours, peer, ada, login):
    client = login(ada)
    client.post("/network/remote", data={"address": _address(peer)})
    [connection] = _connections(app)
    assert client.post(f"/network/remote/{connection.id}/remove").status_code == 303
    assert client.post(f"/network/remote/{connection.id}/remove").status_code == 303  # again
    _drain(app)
    assert _connections(app)[0].status == "withdrawn"
    [undo] = [r for r in peer.received if r["activity"]["type"] == "Undo"]
    assert undo["activity"]["object"]["id"] == connection.our_follow_id
    assert undo["signer"] == f"{ours}/ap/members/{ada.id}"


def test_removing_a_connection_they_started_undoes_ours_and_rejects_theirs(
    app, ours, peer, ada, login
):
    client = login(ada)
    peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}"))
    _drain(app)
    [connection] = _connections(app)
    client.post(f"/settings/federation/requests/{connection.id}/accept")
    _drain(app)
    client.post(f"/network/remote/{connection.id}/remove")
    _drain(app)
    assert _connections(app)[0].status == "removed"
    kinds = [r["activity"]["type"] for r in peer.received]
    assert kinds.count("Undo") == 1 and kinds.count("Reject") == 1
    reject = [r for r in peer.received if r["activity"]["type"] == "Reject"][0]
    assert reject["activity"]["object"]["id"] == f"{peer.origin}/follows/1"


def test_asking_someone_whose_request_waits_accepts_it(app, ours, peer, ada):
    from maillon.federation.outgoing import connect_remote_person

    peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}"))
    _drain(app)
    with app.app_context():
        connection, _, _ = connect_remote_person(
            db.session, instance_row("reseau"), member_row(ada.id), _address(peer)
        )
        assert connection.status == "connected"
    _drain(app)
    assert {"Accept", "Follow"} <= {r["activity"]["type"] for r in peer.received}


def test_their_follow_while_ours_waits_connects_and_is_accepted(app, ours, peer, ada):
    from maillon.federation.outgoing import connect_remote_person

    with app.app_context():
        connect_remote_person(db.session, instance_row("reseau"), member_row(ada.id),
                              _address(peer))
    peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}"))
    _drain(app)
    assert _connections(app)[0].status == "connected"
    [accept] = [r for r in peer.received if r["activity"]["type"] == "Accept"]
    assert accept["activity"]["object"]["id"] == f"{peer.origin}/follows/1"


def _accept_of(peer: Any, follow_id: str, n: int) -> dict[str, Any]:
    return {"@context": AS, "id": f"{peer.origin}/accepts/{n}", "type": "Accept",
            "actor": peer.actor_id, "object": follow_id}


def _told(app: Flask, member: Any) -> list[Any]:
    from maillon.notifications import services

    with app.app_context():
        rows = services.list_notifications(db.session, instance_row("reseau"),
                                           member_row(member.id))[1]
        return [(n.kind, services.describe(n), services.link_for(n)) for n in rows]


def test_their_accept_tells_the_member_in_app_and_by_email(app, ours, peer, ada, login, mail):
    from maillon.federation.outgoing import connect_remote_person

    with app.app_context():
        connect_remote_person(db.session, instance_row("reseau"), member_row(ada.id),
                              _address(peer))
    _drain(app)
    assert _told(app, ada) == []  # asking tells nobody on this side
    [connection] = _connections(app)
    server = peer.origin.split("://", 1)[1]
    for n in (1, 1, 2):  # the same Accept again, then a second one with another id
        peer.post(f"{ours}/inbox", _accept_of(peer, connection.our_follow_id, n))
        _drain(app)
    assert _connections(app)[0].status == "connected"
    assert _told(app, ada) == [("remote_connection_accepted",
                                f"Bob Peer ({server}) accepted your request to connect",
                                ("network.my_network", {"_anchor": "remote"}))]
    [message] = mail.to(ada.email)  # acceptances are e-mailed by default
    assert "Bob Peer accepted your request" in message["Subject"]
    body = mail.body(message)
    assert f"Bob Peer, on {server}, accepted your request" in body and "/network#remote" in body
    page = login(ada).get("/notifications").get_data(as_text=True)
    assert f"Bob Peer ({server}) accepted your request to connect" in page


def test_their_accept_follows_the_members_choice_for_acceptances(app, ours, peer, ada, mail):
    from maillon.federation.outgoing import connect_remote_person
    from maillon.notifications import services

    with app.app_context():
        services.update_preferences(db.session, instance_row("reseau"), member_row(ada.id),
                                    {"connection_accepted": {"email": False, "app": True}})
        connect_remote_person(db.session, instance_row("reseau"), member_row(ada.id),
                              _address(peer))
    _drain(app)
    [connection] = _connections(app)
    peer.post(f"{ours}/inbox", _accept_of(peer, connection.our_follow_id, 1))
    _drain(app)
    assert [kind for kind, _, _ in _told(app, ada)] == ["remote_connection_accepted"]
    assert mail.to(ada.email) == []


def test_their_follow_before_their_accept_tells_the_member_once(app, ours, peer, ada, mail):
    from maillon.federation.outgoing import connect_remote_person

    with app.app_context():
        connect_remote_person(db.session, instance_row("reseau"), member_row(ada.id),
                              _address(peer))
    _drain(app)
    [connection] = _connections(app)
    peer.post(f"{ours}/ap/members/{ada.id}/inbox", _follow(peer, f"{ours}/ap/members/{ada.id}"))
    _drain(app)
    peer.post(f"{ours}/inbox", _accept_of(peer, connection.our_follow_id, 1))
    _drain(app)
    assert [kind for kind, _, _ in _told(app, ada)] == ["remote_connection_accepted"]
    assert len(mail.to(ada.email)) == 1


def test_their_reject_tells_nothing(app, ours, peer, ada, mail):
    from maillon.federation.outgoing import connect_remote_person

    with app.app_context():
        connect_remote_person(db.session, instance_row("reseau"), member_row(ada.id),
                              _address(peer))
    _drain(app)
    [connection] = _connections(app)
    peer.post(f"{ours}/inbox", {**_accept_of(peer, connection.our_follow_id, 1),
                                "type": "Reject"})
    _drain(app)
    assert _connections(app)[0].status == "declined"
    assert _told(app, ada) == [] and mail.to(ada.email) == []


def _look_up(app: Flask, client: Any, ada: Any, address: str) -> Any:
    return client.get("/api/v1/remote-people", query_string={"address": address},
                      headers=_token(app, ada))


def test_a_pasted_mastodon_profile_link_redirects_to_the_person(
        app, ours, peer, ada, login, client_for):
    link = f"{peer.origin}/@bob"  # Mastodon's profile link: 301 to the actor
    page = login(ada).get("/network/remote", query_string={"address": link})
    assert page.status_code == 200 and "Bob Peer" in page.get_data(as_text=True)
    found = _look_up(app, client_for("reseau"), ada, link)
    assert found.status_code == 200 and found.get_json()["id"] == peer.actor_id
    answer = client_for("reseau").post("/api/v1/remote-connections", json={"address": link},
                                       headers=_token(app, ada))
    assert answer.status_code == 201, answer.get_json()
    _drain(app)
    [follow] = _follows_received(peer)
    assert follow["activity"]["object"] == peer.actor_id  # the actor, not the link


def test_three_redirects_are_followed_and_not_a_fourth(app, ours, peer, ada, client_for):
    for n in range(3):
        peer.redirects[f"/r/{n}"] = f"{peer.origin}/r/{n + 1}"
    peer.redirects["/r/3"] = "/actor"  # relative, as servers may answer
    api = client_for("reseau")
    found = _look_up(app, api, ada, f"{peer.origin}/r/1")  # /r/1 /r/2 /r/3 then the actor
    assert found.status_code == 200 and found.get_json()["id"] == peer.actor_id
    seen = len(peer.requests)
    refused = _look_up(app, api, ada, f"{peer.origin}/r/0")
    assert refused.status_code == 404 and error_of(refused)["code"] == "remote_not_found"
    assert ("GET", "/actor") not in peer.requests[seen:]  # the fourth was not followed


def test_a_redirect_to_a_refused_server_is_not_followed(app, ours, peer, ada, client_for,
                                                         create_member):
    from maillon.federation import policy
    from maillon.federation.policy import block_server

    admin = create_member("reseau", role="admin", name="Another Admin")
    with app.app_context():
        block_server(db.session, "blocked.localhost", reason="test")
        policy.change_policy(db.session, instance_row("reseau"), member_row(admin.id),
                             {"servers": [{"domain": "suspended.localhost",
                                           "severity": "suspend"}]})
    api = client_for("reseau")
    for name in ("blocked", "suspended"):
        peer.redirects[f"/@{name}"] = f"http://{name}.localhost:{peer.port}/actor"
        seen = len(peer.requests)
        refused = _look_up(app, api, ada, f"{peer.origin}/@{name}")
        assert refused.status_code == 403, refused.get_json()
        assert error_of(refused)["code"] == "server_refused"
        assert peer.requests[seen:] == [("GET", f"/@{name}")]  # its target was never asked


def test_a_redirect_must_land_on_the_actor_it_names(app, ours, peer, ada, client_for):
    # other.localhost serves bovine's actor, whose id is on bovine.localhost: not theirs.
    peer.redirects["/@mallory"] = f"http://other.localhost:{peer.port}/actor"
    refused = _look_up(app, client_for("reseau"), ada, f"{peer.origin}/@mallory")
    assert refused.status_code == 404 and error_of(refused)["code"] == "remote_not_found"


def test_a_redirect_keeps_the_address_rules(app, monkeypatch):
    """Off the development network: never from https down to http, never to this machine or a
    private network, each checked on the redirect's target as on a first request."""
    from datetime import UTC, datetime

    from maillon.federation import fetch

    real = fetch.exchange
    asked: list[str] = []

    def exchange(method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        asked.append(url)
        if url.startswith("https://public.example/"):
            kwargs["answer_headers"]["location"] = redirect_to
            return 301, b""
        return real(method, url, **kwargs)

    monkeypatch.setattr(fetch, "exchange", exchange)
    now = datetime.now(UTC)
    for redirect_to, code in (("http://public.example/users/bob", "bad_redirect"),
                              ("https://127.0.0.1:9/users/bob", "private_address"),
                              ("https://10.1.2.3/users/bob", "private_address")):
        with pytest.raises(fetch.FetchFailed) as failed:
            fetch.fetch_json_following("https://public.example/@bob", key_id=None,
                                       private_key=None, now=now, check_host=lambda h: None)
        assert failed.value.code == code, redirect_to


def test_the_api_looks_up_connects_lists_and_removes(app, ours, peer, ada, client_for):
    api = client_for("reseau")
    headers = _token(app, ada)
    found = api.get("/api/v1/remote-people", query_string={"address": _address(peer)},
                    headers=headers)
    assert found.status_code == 200, found.get_data(as_text=True)
    person = found.get_json()
    assert person["id"] == peer.actor_id and person["name"] == "Bob Peer"
    assert person["summary"] == "Builds bridges & ferries\nSecond line"
    assert person["connection"] is None
    made = api.post("/api/v1/remote-connections", json={"address": _address(peer)},
                    headers={**headers, "Idempotency-Key": "k1"})
    assert made.status_code == 201 and made.get_json()["status"] == "pending"
    again = api.post("/api/v1/remote-connections", json={"address": _address(peer)},
                     headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == made.get_json()["id"]
    listed = api.get("/api/v1/remote-connections", headers=headers).get_json()
    assert listed["total"] == 1 and listed["results"][0]["person"]["server"] == person["server"]
    gone = api.delete(f"/api/v1/remote-connections/{made.get_json()['id']}", headers=headers)
    assert gone.status_code == 204
    _drain(app)
    with app.app_context():
        kinds = sorted(d.payload["type"] for d in db.session.scalars(select(Delivery)))
    assert kinds == ["Follow", "Undo"]


def test_another_members_remote_connection_is_not_found(app, ours, peer, ada, create_member,
                                                        client_for, login):
    from maillon.federation.outgoing import connect_remote_person

    with app.app_context():
        connection, _, _ = connect_remote_person(
            db.session, instance_row("reseau"), member_row(ada.id), _address(peer)
        )
        connection_id = connection.id
    other = create_member("reseau", name="Other Member", locale="en")
    answer = client_for("reseau").delete(f"/api/v1/remote-connections/{connection_id}",
                                         headers=_token(app, other))
    assert answer.status_code == 404
    assert login(other).post(f"/network/remote/{connection_id}/remove").status_code == 404
    assert _connections(app)[0].status == "pending"


@pytest.mark.parametrize(
    ("address", "status", "code"),
    [
        ("not an address", 422, "validation_failed"),
        ("@bob", 422, "validation_failed"),
        ("ftp://server.example/bob", 422, "validation_failed"),
    ],
)
def test_a_malformed_address_is_refused(app, ours, ada, client_for, address, status, code):
    answer = client_for("reseau").get("/api/v1/remote-people", query_string={"address": address},
                                      headers=_token(app, ada))
    assert answer.status_code == status and error_of(answer)["code"] == code


def test_an_unknown_handle_is_not_found(app, ours, peer, ada, client_for, login):
    address = f"@nobody@{peer.origin.split('://', 1)[1]}"
    answer = client_for("reseau").post("/api/v1/remote-connections", json={"address": address},
                                       headers=_token(app, ada))
    assert answer.status_code == 404 and error_of(answer)["code"] == "remote_not_found"
    page = login(ada).get("/network/remote", query_string={"address": address})
    assert page.status_code == 404 and "Nobody answers to" in page.get_data(as_text=True)
    assert _connections(app) == []


def test_an_unreachable_server_is_a_502(app, ours, ada, client_for):
    closed = free_port()  # nothing listens there once closed
    answer = client_for("reseau").get(
        "/api/v1/remote-people", query_string={"address": f"@bob@nowhere.localhost:{closed}"},
        headers=_token(app, ada),
    )
    assert answer.status_code == 502 and error_of(answer)["code"] == "remote_unreachable"


def test_a_blocked_server_is_refused_before_any_request(app, ours, peer, ada, client_for):
    from maillon.federation.policy import block_server

    with app.app_context():
        block_server(db.session, "bovine.localhost", reason="test")
    seen = len(peer.requests)
    answer = client_for("reseau").post("/api/v1/remote-connections",
                                       json={"address": _address(peer)}, headers=_token(app, ada))
    assert answer.status_code == 403 and error_of(answer)["code"] == "server_refused"
    assert len(peer.requests) == seen  # nothing was asked of it
    assert _connections(app) == []


def test_a_server_suspended_by_the_instance_is_refused(app, ours, peer, ada, client_for,
                                                       create_member):
    from maillon.federation import policy

    admin = create_member("reseau", role="admin", name="Another Admin")
    with app.app_context():
        policy.change_policy(db.session, instance_row("reseau"), member_row(admin.id),
                             {"servers": [{"domain": "bovine.localhost",
                                           "severity": "suspend"}]})
    answer = client_for("reseau").get("/api/v1/remote-people",
                                      query_string={"address": _address(peer)},
                                      headers=_token(app, ada))
    assert answer.status_code == 403 and error_of(answer)["code"] == "server_refused"


def test_federation_off_is_refused(app, create_member, client_for, login):
    member = create_member("acme", name="Acme Person", locale="en")
    answer = client_for("acme").get("/api/v1/remote-people",
                                    query_string={"address": "@bob@server.example"},
                                    headers=_token(app, member))
    assert answer.status_code == 403 and error_of(answer)["code"] == "federation_off"
    # The network page offers nothing then.
    assert 'id="remote"' not in login(member, "acme").get("/network").get_data(as_text=True)


def test_a_member_not_reachable_from_other_servers_is_told_to_opt_in(
    app, ours, peer, create_member, client_for, login
):
    member = create_member("reseau", name="Not Opted", locale="en")
    answer = client_for("reseau").get("/api/v1/remote-people",
                                      query_string={"address": _address(peer)},
                                      headers=_token(app, member))
    assert answer.status_code == 403 and error_of(answer)["code"] == "not_federated"
    network = login(member).get("/network").get_data(as_text=True)
    assert "first let them reach your profile" in network


def test_an_address_of_this_instance_is_refused(app, ours, ada, client_for):
    host = ours.split("://", 1)[1]
    answer = client_for("reseau").get("/api/v1/remote-people",
                                      query_string={"address": f"@someone@{host}"},
                                      headers=_token(app, ada))
    assert answer.status_code == 422 and error_of(answer)["code"] == "local_member"


def _remote_contact(app: Flask, member: Any) -> None:
    with app.app_context():
        instance = instance_row("reseau")
        remote = RemoteActor(instance_id=instance.id, uri="https://remote.example/users/zoe",
                             inbox="https://remote.example/users/zoe/inbox",
                             handle="zoe@remote.example", name="Zoe Secret-Contact")
        db.session.add(remote)
        db.session.flush()
        db.session.add(RemoteConnection(instance_id=instance.id, member_id=member.id,
                                        remote_actor_id=remote.id, status="connected",
                                        follow_id="https://remote.example/f/1"))
        db.session.commit()


@pytest.mark.parametrize(("setting", "shown"), [("nobody", False), ("members", True)])
def test_remote_contacts_follow_the_hidden_contacts_choice(
    app, create_member, login, setting, shown
):
    owner = create_member("reseau", name="Owner Person", locale="en",
                          visibility={"in_directory": True, "contacts_visible_to": setting})
    stranger = create_member("reseau", name="Curious Stranger", locale="en")
    _remote_contact(app, owner)
    page = login(stranger).get(f"/members/{owner.id}/contacts")
    assert ("Zoe Secret-Contact" in page.get_data(as_text=True)) is shown
    assert page.status_code == (200 if shown else 403)
    # The owner always sees their own.
    own = login(owner).get(f"/members/{owner.id}/contacts").get_data(as_text=True)
    assert "Zoe Secret-Contact" in own and "from remote.example" in own


def test_remote_contacts_are_refused_by_the_service_when_hidden(app, create_member):
    from maillon.errors import Forbidden
    from maillon.federation.outgoing import list_remote_contacts

    owner = create_member("reseau", name="Owner Two", locale="en",
                          visibility={"in_directory": True, "contacts_visible_to": "connections"})
    stranger = create_member("reseau", name="Stranger Two", locale="en")
    _remote_contact(app, owner)
    with app.app_context(), pytest.raises(Forbidden):
        list_remote_contacts(db.session, instance_row("reseau"), member_row(stranger.id),
                             owner.id)


def test_their_account_deleted_ends_the_connection(app, ours, peer, ada, login):
    client = login(ada)
    client.post("/network/remote", data={"address": _address(peer)})
    _drain(app)
    [connection] = _connections(app)
    peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/accepts/1",
                                "type": "Accept", "actor": peer.actor_id,
                                "object": connection.our_follow_id})
    _drain(app)
    assert _connections(app)[0].status == "connected"
    # A Delete of something else of theirs (a post) changes nothing.
    peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/deletes/1",
                                "type": "Delete", "actor": peer.actor_id,
                                "object": f"{peer.origin}/notes/1"})
    _drain(app)
    assert _connections(app)[0].status == "connected"
    peer.post(f"{ours}/inbox", {"@context": AS, "id": f"{peer.origin}/deletes/2",
                                "type": "Delete", "actor": peer.actor_id,
                                "object": peer.actor_id})
    _drain(app)
    assert _connections(app)[0].status == "removed"
    section = client.get("/network").get_data(as_text=True).split('id="remote"')[1]
    assert "Bob Peer" not in section


def test_lookups_are_rate_limited_per_client_address(app, ours, peer, ada, client_for, login):
    app.config["REMOTE_LOOKUP_RATE_LIMIT"] = "2 per minute"
    api = client_for("reseau")
    headers = _token(app, ada)
    for _ in range(2):
        assert api.get("/api/v1/remote-people", query_string={"address": _address(peer)},
                       headers=headers).status_code == 200
    # The page and the API count together; asking to connect counts too.
    refused = login(ada).get("/network/remote", query_string={"address": _address(peer)})
    assert refused.status_code == 429
    answer = api.post("/api/v1/remote-connections", json={"address": _address(peer)},
                      headers=headers)
    assert answer.status_code == 429 and error_of(answer)["code"] == "rate_limited"
    assert _connections(app) == []


def test_opening_the_empty_lookup_page_does_not_count(app, ours, peer, ada, client_for, login):
    app.config["REMOTE_LOOKUP_RATE_LIMIT"] = "2 per minute"
    browser = login(ada)
    for _ in range(5):
        page = browser.get("/network/remote")
        assert page.status_code == 200
        page = browser.get("/network/remote", query_string={"address": "  "})
        assert page.status_code == 200
    # Both real lookups still go through; the third is refused: only they counted.
    for _ in range(2):
        found = browser.get("/network/remote", query_string={"address": _address(peer)})
        assert found.status_code == 200 and "Bob Peer" in found.get_data(as_text=True)
    refused = browser.get("/network/remote", query_string={"address": _address(peer)})
    assert refused.status_code == 429


def test_the_export_holds_the_members_remote_connections(app, create_member, opt_in):
    from maillon.rights.export import export_member_data

    owner = create_member("reseau", name="Owner Export", locale="en")
    other = create_member("reseau", name="Someone Else", locale="en")
    handle = opt_in(owner)
    _remote_contact(app, owner)
    with app.app_context():
        mine = export_member_data(db.session, instance_row("reseau"), member_row(owner.id))
        theirs = export_member_data(db.session, instance_row("reseau"), member_row(other.id))
    federation = mine["federation"]
    assert federation["handle"] == handle and federation["enabled"] is True
    [row] = federation["remote_connections"]
    assert row["status"] == "connected" and row["person"]["name"] == "Zoe Secret-Contact"
    assert row["person"]["server"] == "remote.example"
    assert theirs["federation"] == {"handle": None, "enabled": False, "discoverable": False,
                                    "indexable": False, "remote_connections": []}
