"""Two Maillon servers relay an introduction across the border (decisions 56, 56a), each its
own processes (gunicorn and a jobs worker) and database, on loopback with real Host names:
Claire (academia, server A) asks to meet Bruno (the association, server B) through her
connection Marc, who is connected with Bruno; Marc forwards while B is down (a crash): A keeps
the Offer and delivers it when B is back; B receives it as a request for Bruno, Bruno accepts
in his own community, and A shows the introduction accepted and Claire and Bruno connected on
both sides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.federation.test_two_servers import (
    ASSOC,
    _last_error,
    _prepare,
    _queued,
    _settings,
    _status_with,
    connect_across,
)
from tests.processes import Processes, free_port, request, wait_for


def _incoming(port: int, host: str, token: str) -> list[dict[str, Any]]:
    status, body = request(port, "GET", "/api/v1/introductions/incoming", host=host,
                           token=token)
    assert status == 200, body
    return list(body["results"])


def _introduction(port: int, host: str, token: str, intro_id: int) -> dict[str, Any]:
    status, body = request(port, "GET", f"/api/v1/introductions/{intro_id}", host=host,
                           token=token)
    assert status == 200, body
    return dict(body)


def test_an_introduction_crosses_from_one_server_to_the_other(processes: Processes,
                                                              tmp_path: Path) -> None:
    assoc_dir = tmp_path / "instances-b" / "assoc"
    assoc_dir.mkdir(parents=True)
    (assoc_dir / "instance.toml").write_text(ASSOC, encoding="utf-8")
    port_a, port_b = free_port(), free_port()
    a = _settings(tmp_path, "a", port_a)
    b = _settings(tmp_path, "b", port_b, INSTANCES_DIR=str(tmp_path / "instances-b"))
    claire = _prepare(processes, "a", a, "academia", "Claire Dubois", "claire@univ.example",
                      "Marc Lefort", "marc@univ.example")
    marc = claire["contact"]
    bruno = _prepare(processes, "b", b, "assoc", "Bruno Marin", "bruno@port.example")
    host_a, host_b = "academia.localhost", "assoc.localhost"
    for who, host, port in ((claire, host_a, port_a), (marc, host_a, port_a),
                            (bruno, host_b, port_b)):
        who["address"] = f"@{who['handle']}@{host}:{port}"
    processes.server("a", port=port_a, **a)
    processes.worker("a-worker", **a)
    processes.server("b", port=port_b, **b)
    processes.worker("b-worker", **b)

    # Marc (A) and Bruno (B) are connected.
    connect_across((port_a, host_a, marc), (port_b, host_b, bruno))

    # Claire finds Bruno among Marc's contacts and asks Marc to introduce her.
    status, contacts = request(port_a, "GET", f"/api/v1/members/{marc['member_id']}/"
                               "remote-contacts", host=host_a, token=claire["token"])
    assert status == 200, contacts
    [person] = contacts["results"]
    assert person["name"] == "Bruno Marin"
    status, made = request(port_a, "POST", "/api/v1/introductions", {
        "remote_target": person["id"], "via_member_id": marc["member_id"],
        "purpose": "partnership",
        "message": "Our lab would like to work with the association on the harbour."},
        host=host_a, token=claire["token"])
    assert status == 201 and made["current_hop"] == 1, made
    # Server B is down (a crash) when Marc forwards: A keeps the Offer and tries again.
    # First nothing else still queued for B (under load a delivery of connect_across can be
    # waiting for its retry), so that the one delivery counted below is the Offer.
    wait_for(lambda: _queued(port_a, host_a, claire) == 0, "A's earlier deliveries to B")
    processes.kill("b")
    processes.kill("b-worker")
    status, forwarded = request(port_a, "POST", f"/api/v1/introductions/{made['id']}/forward",
                                {"vouch": "Claire is a careful and generous researcher."},
                                host=host_a, token=marc["token"])
    assert status == 200 and forwarded["status"] == "delivered", forwarded
    wait_for(lambda: _last_error(port_a, host_a, claire), "a failed try to deliver to B")
    assert _queued(port_a, host_a, claire) == 1
    processes.server("b", port=port_b, **b)
    processes.worker("b-worker", **b)
    wait_for(lambda: _queued(port_a, host_a, claire) == 0, "the Offer kept while B was down",
             timeout=120)

    # Server B: a request for Bruno, from Claire, introduced by Marc, in his community.
    wait_for(lambda: len(_incoming(port_b, host_b, bruno["token"])) == 1,
             "the introduction on server B")
    [incoming] = _incoming(port_b, host_b, bruno["token"])
    assert incoming["requester"]["name"] == "Claire Dubois"
    assert incoming["carrier"]["name"] == "Marc Lefort"
    assert "careful and generous" in incoming["content"]
    assert "harbour" in incoming["content"]
    status, answered = request(port_b, "POST",
                               f"/api/v1/introductions/incoming/{incoming['id']}/accept",
                               host=host_b, token=bruno["token"])
    assert status == 200 and answered["status"] == "accepted", answered

    # Server A: the introduction is accepted, and Claire and Bruno are connected, both sides.
    wait_for(lambda: _introduction(port_a, host_a, claire["token"], made["id"])["status"] ==
             "accepted", "the acceptance on server A")
    wait_for(lambda: _status_with(port_a, host_a, claire["token"], bruno["address"]) ==
             "connected", "Claire and Bruno connected on server A")
    wait_for(lambda: _status_with(port_b, host_b, bruno["token"], claire["address"]) ==
             "connected", "Claire and Bruno connected on server B")
    seen = _introduction(port_a, host_a, marc["token"], made["id"])
    assert seen["status"] == "accepted" and seen["remote_target"]["name"] == "Bruno Marin"

