"""Two Maillon servers relay a 3-link introduction whose chain continues on the other side
(decisions 61 and 62), each server its own processes (gunicorn and a jobs worker) and database,
on loopback with real Host names.

Claire (academia, server A) wants to meet Bruno (the association, server B), whom nobody on A
knows. Her connection Marc is connected with Xavier on B, who knows Bruno. A asks B, signed,
how far Xavier is from Bruno, and plans Claire → Marc → (across) Xavier → Bruno. Marc forwards
on A; the Offer reaches Xavier on B, who passes it on in his own community; server A crashes
while Bruno accepts; B keeps the Accept (and Bruno's Follow of Claire) and delivers them when A
is back: A shows the request accepted, and Claire and Bruno connected on both sides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.federation.test_two_servers import (
    _deliveries,
    _queued,
    _status_with,
    chain_world,
)
from tests.federation.test_two_servers_introductions import _incoming, _introduction
from tests.processes import Processes, request, wait_for


def _failed_towards_a(port: int, host: str, admin: dict[str, Any]) -> str:
    """The last error of a delivery from server B still waiting for server A."""
    return "".join(s["last_error"] for s in _deliveries(port, host, admin)["servers"]
                   if s["host"].startswith("academia.localhost") and s["queued"])


def test_a_chain_crosses_and_continues_on_the_other_server(processes: Processes,
                                                           tmp_path: Path) -> None:
    world = chain_world(processes, tmp_path)  # Marc (A) and Xavier (B) already connected
    claire, marc, xavier, bruno = (world[k] for k in ("claire", "marc", "xavier", "bruno"))
    (port_a, port_b), (host_a, host_b) = world["ports"], world["hosts"]
    a = world["settings"][0]

    # Claire asks to meet Bruno by his address: A looks him up, asks B how far Xavier is.
    status, made = request(port_a, "POST", "/api/v1/introductions", {
        "remote_target": bruno["address"], "purpose": "partnership",
        "message": "Our lab would like to work with the association on the harbour."},
        host=host_a, token=claire["token"])
    assert status == 201 and made["current_hop"] == 1, made
    seen = _introduction(port_a, host_a, claire["token"], made["id"])
    assert seen["across"]["entry"]["name"] == "Xavier Roux", seen
    assert seen["remote_target"]["name"] == "Bruno Marin"

    # Marc forwards on A: the Offer goes to Xavier on B, for Bruno.
    status, forwarded = request(port_a, "POST", f"/api/v1/introductions/{made['id']}/forward",
                                {"vouch": "Claire is a careful and generous researcher."},
                                host=host_a, token=marc["token"])
    assert status == 200 and forwarded["status"] == "delivered", forwarded
    wait_for(lambda: len(_incoming(port_b, host_b, xavier["token"])) == 1,
             "the request at Xavier's on server B")
    [turn] = _incoming(port_b, host_b, xavier["token"])
    assert turn["can_act"] and turn["target"]["name"] == "Bruno Marin", turn
    assert turn["requester"]["name"] == "Claire Dubois"
    assert turn["carrier"]["name"] == "Marc Lefort"
    status, passed = request(port_b, "POST", f"/api/v1/introductions/incoming/{turn['id']}/pass",
                             {"vouch": "Marc vouches for her, and I trust Marc."},
                             host=host_b, token=xavier["token"])
    assert status == 200, passed

    # Server A crashes; Bruno accepts on B meanwhile: B keeps what goes to A.
    processes.kill("a")
    processes.kill("a-worker")
    [request_for_bruno] = _incoming(port_b, host_b, bruno["token"])
    assert request_for_bruno["requester"]["name"] == "Claire Dubois"
    assert "harbour" in request_for_bruno["content"]
    status, answered = request(
        port_b, "POST", f"/api/v1/introductions/incoming/{request_for_bruno['id']}/accept",
        host=host_b, token=bruno["token"])
    assert status == 200 and answered["status"] == "accepted", answered
    wait_for(lambda: _failed_towards_a(port_b, host_b, xavier), "a failed try to deliver to A")
    assert _queued(port_b, host_b, xavier) >= 1
    processes.server("a", port=port_a, workers=2, **a)
    processes.worker("a-worker", **a)
    wait_for(lambda: _queued(port_b, host_b, xavier) == 0, "B's answers kept while A was down",
             timeout=120)

    # Server A: accepted; Claire and Bruno connected on both sides; Marc sees it too.
    wait_for(lambda: _introduction(port_a, host_a, claire["token"], made["id"])["status"] ==
             "accepted", "the acceptance on server A")
    wait_for(lambda: _status_with(port_a, host_a, claire["token"], bruno["address"]) ==
             "connected", "Claire and Bruno connected on server A")
    wait_for(lambda: _status_with(port_b, host_b, bruno["token"], claire["address"]) ==
             "connected", "Claire and Bruno connected on server B")
    assert _introduction(port_a, host_a, marc["token"], made["id"])["status"] == "accepted"
