"""Two Maillon servers, each its own processes (gunicorn and a jobs worker) and database, on
loopback with real Host names: a member of academia on server A connects with a member of an
association on server B (lookup, signed Follow, Accept); B crashes while A's member changes
their name; A keeps the Update, retries on Mastodon's schedule (sped up here) and B receives
it when it is back: nothing is lost. Then the connection ends, on both sides.

The servers are real processes (a crash is SIGKILL), so this also checks what survives them:
the outbox rows, the retry schedule, the inbox's de-duplication."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.processes import ROOT, Processes, free_port, request, wait_for

ASSOC = """name = "Entraide du Port"
hosts = ["assoc.localhost"]
theme = "classic"
locale = "fr"
"""


def _settings(tmp_path: Path, name: str, port: int, **more: str) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / f'{name}.db'}", "SERVER_PORT": str(port),
            "FEDERATION_DEV_NETWORK": "1", "FEDERATION_RETRY_SCALE": "0.02",
            "FEDERATION_UPDATE_DELAY_SECONDS": "0", "FEDERATION_KEY_SECRET": f"secret-{name}",
            "RATELIMIT_ENABLED": "0", **more}


def _prepare(processes: Processes, name: str, settings: dict[str, str], slug: str,
             who: str, email: str, *contact: str) -> dict[str, Any]:
    """``contact``: a second member's name and e-mail (server_setup connects the two)."""
    done = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "tests.federation.server_setup", slug, who, email, *contact],
        cwd=ROOT,
        env=processes.environment(name, **settings), capture_output=True, text=True,
        timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _connections(port: int, host: str, token: str) -> list[dict[str, Any]]:
    status, body = request(port, "GET", "/api/v1/remote-connections", host=host, token=token)
    assert status == 200, body
    return list(body["results"])


def _status_with(port: int, host: str, token: str, address: str) -> str | None:
    for row in _connections(port, host, token):
        if row["person"]["handle"].lstrip("@") == address.lstrip("@"):
            return str(row["status"])
    return None


def connect_across(a: tuple[int, str, dict[str, Any]], b: tuple[int, str, dict[str, Any]]
                   ) -> None:
    """Person ``a`` (port, host, who) on server A asks ``b`` on server B to connect, and ``b``
    accepts: both see them connected (what each clicks on "My network")."""
    (port_a, host_a, one), (port_b, host_b, other) = a, b
    status, asked = request(port_a, "POST", "/api/v1/remote-connections",
                            {"address": other["address"]}, host=host_a, token=one["token"])
    assert status == 201, asked
    wait_for(lambda: _status_with(port_b, host_b, other["token"], one["address"]) ==
             "requested", "the request on server B")
    status, _ = request(port_b, "POST", "/api/v1/remote-connections",
                        {"address": one["address"]}, host=host_b, token=other["token"])
    assert status == 200
    wait_for(lambda: _status_with(port_a, host_a, one["token"], other["address"]) ==
             "connected", "the connection on server A")


def chain_world(processes: Processes, tmp_path: Path) -> dict[str, Any]:
    """Two servers for a chain that continues on the other side: academia on A with Claire
    and her connection Marc, the association on B with Xavier and his connection Bruno; Marc
    and Xavier connected across; A runs two web workers (B fetches A's key back while A
    waits for B's answer to the reach query). Everyone's ``address``, ``token``, ``member_id``,
    and ``ports``, ``hosts``, ``settings`` (A's, B's) to restart a server."""
    assoc_dir = tmp_path / "instances-b" / "assoc"
    assoc_dir.mkdir(parents=True)
    (assoc_dir / "instance.toml").write_text(ASSOC, encoding="utf-8")
    port_a, port_b = free_port(), free_port()
    a = _settings(tmp_path, "a", port_a)
    b = _settings(tmp_path, "b", port_b, INSTANCES_DIR=str(tmp_path / "instances-b"))
    claire = _prepare(processes, "a", a, "academia", "Claire Dubois", "claire@univ.example",
                      "Marc Lefort", "marc@univ.example")
    xavier = _prepare(processes, "b", b, "assoc", "Xavier Roux", "xavier@port.example",
                      "Bruno Marin", "bruno@port.example")
    marc, bruno = claire["contact"], xavier["contact"]
    host_a, host_b = "academia.localhost", "assoc.localhost"
    for who, host, port in ((claire, host_a, port_a), (marc, host_a, port_a),
                            (xavier, host_b, port_b), (bruno, host_b, port_b)):
        who["address"] = f"@{who['handle']}@{host}:{port}"
    processes.server("a", port=port_a, workers=2, **a)
    processes.worker("a-worker", **a)
    processes.server("b", port=port_b, **b)
    processes.worker("b-worker", **b)
    connect_across((port_a, host_a, marc), (port_b, host_b, xavier))
    return {"claire": claire, "marc": marc, "xavier": xavier, "bruno": bruno,
            "ports": (port_a, port_b), "hosts": (host_a, host_b), "settings": (a, b)}


def test_two_servers_connect_and_lose_nothing_while_one_is_down(processes: Processes,
                                                                  tmp_path: Path) -> None:
    assoc_dir = tmp_path / "instances-b" / "assoc"
    assoc_dir.mkdir(parents=True)
    (assoc_dir / "instance.toml").write_text(ASSOC, encoding="utf-8")
    port_a, port_b = free_port(), free_port()
    a = _settings(tmp_path, "a", port_a)
    b = _settings(tmp_path, "b", port_b, INSTANCES_DIR=str(tmp_path / "instances-b"))
    claire = _prepare(processes, "a", a, "academia", "Claire Dubois", "claire@univ.example")
    bruno = _prepare(processes, "b", b, "assoc", "Bruno Marin", "bruno@port.example")
    host_a, host_b = "academia.localhost", "assoc.localhost"
    claire["address"] = f"@{claire['handle']}@{host_a}:{port_a}"
    bruno["address"] = f"@{bruno['handle']}@{host_b}:{port_b}"
    processes.server("a", port=port_a, **a)
    processes.worker("a-worker", **a)
    processes.server("b", port=port_b, **b)
    processes.worker("b-worker", **b)

    # Claire finds Bruno on server B and asks to connect: a Follow signed by her.
    status, found = request(port_a, "GET", f"/api/v1/remote-people?address={bruno['address']}",
                            host=host_a, token=claire["token"])
    assert status == 200, found
    assert found["name"] == "Bruno Marin" and found["server"].startswith("assoc.localhost")
    status, asked = request(port_a, "POST", "/api/v1/remote-connections",
                            {"address": bruno["address"]}, host=host_a, token=claire["token"])
    assert status == 201 and asked["status"] == "pending", asked
    wait_for(lambda: _status_with(port_b, host_b, bruno["token"], claire["address"]) ==
             "requested", "Claire's request on server B")
    # Bruno accepts in his own community: his Accept connects them on A too.
    status, accepted = request(port_b, "POST", "/api/v1/remote-connections",
                               {"address": claire["address"]}, host=host_b,
                               token=bruno["token"])
    assert status == 200 and accepted["status"] == "connected", accepted
    wait_for(lambda: _status_with(port_a, host_a, claire["token"], bruno["address"]) ==
             "connected", "the connection on server A")

    # Server B goes down (web and worker, as a crash) and Claire changes her name: A keeps
    # the Update for B and tries again on its schedule.
    processes.kill("b")
    processes.kill("b-worker")
    status, _ = request(port_a, "PATCH", "/api/v1/me", {"name": "Claire Dubois-Martin"},
                        host=host_a, token=claire["token"])
    assert status == 200
    wait_for(lambda: _last_error(port_a, host_a, claire), "a failed try to deliver to server B")
    assert _queued(port_a, host_a, claire) == 1  # kept for the next try

    # B is back: the next try delivers it, and Bruno's community shows her new name.
    processes.server("b", port=port_b, **b)
    processes.worker("b-worker", **b)
    wait_for(lambda: _queued(port_a, host_a, claire) == 0, "the Update kept while B was down",
             timeout=120)
    wait_for(lambda: _person(port_b, host_b, bruno, claire["address"])["name"] ==
             "Claire Dubois-Martin", "her new name on server B")

    # She ends the connection: both sides see it ended.
    connection = next(r for r in _connections(port_a, host_a, claire["token"])
                      if r["status"] == "connected")
    status, _ = request(port_a, "DELETE", f"/api/v1/remote-connections/{connection['id']}",
                        host=host_a, token=claire["token"])
    assert status == 204
    wait_for(lambda: _status_with(port_b, host_b, bruno["token"], claire["address"]) is None,
             "the end of the connection on server B")


def _person(port: int, host: str, who: dict[str, Any], address: str) -> dict[str, Any]:
    for row in _connections(port, host, who["token"]):
        if row["person"]["handle"].lstrip("@") == address.lstrip("@"):
            return dict(row["person"])
    return {}


def _deliveries(port: int, host: str, who: dict[str, Any]) -> dict[str, Any]:
    status, body = request(port, "GET", "/api/v1/admin/federation/deliveries", host=host,
                           token=who["admin_token"])
    assert status == 200, body
    return dict(body)


def _last_error(port: int, host: str, who: dict[str, Any]) -> str:
    """The last error of a delivery still waiting for server B (empty: none failed yet)."""
    return "".join(s["last_error"] for s in _deliveries(port, host, who)["servers"]
                   if s["host"].startswith("assoc.localhost") and s["queued"])


def _queued(port: int, host: str, who: dict[str, Any]) -> int:
    return int(_deliveries(port, host, who)["queued"])
