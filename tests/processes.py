"""Real server processes for tests (the ``processes`` fixture in conftest.py): gunicorn web
servers and jobs workers on free loopback ports, each with its own var/ directory, sharing the
test database (and whatever else the test passes in the environment)."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]


def _port_range() -> range | None:
    """MAILLON_TEST_PORTS=LOW-HIGH: the ports this run may use (.ci/run gives each of its
    concurrent runs its own range, below the kernel's ephemeral ports)."""
    spec = os.environ.get("MAILLON_TEST_PORTS", "")
    if not spec:
        return None
    low, high = (int(part) for part in spec.split("-"))
    return range(low, high + 1)


_next_port: list[int] = []


def free_port() -> int:
    """A loopback port nothing listens on now, for a server the test starts next.

    Without MAILLON_TEST_PORTS, the kernel's choice (bind to port 0). With it, the next port
    of the range that binds, in turn from a random start: another run on the machine, given
    another range, can never take the port between this check and the server's bind, and two
    calls in a row never give the same port."""
    ports = _port_range()
    if ports is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    if not _next_port:
        _next_port.append(random.randrange(len(ports)))  # noqa: S311 - not a secret
    for _ in range(len(ports)):
        port = ports[_next_port[0] % len(ports)]
        _next_port[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or in TIME_WAIT
            return port
    raise RuntimeError(f"no free port in MAILLON_TEST_PORTS={os.environ['MAILLON_TEST_PORTS']}")


def request(port: int, method: str, path: str, body: dict[str, Any] | None = None, *,
            host: str = "reseau.localhost", token: str | None = None) -> tuple[int, Any]:
    """One HTTP request; the body is decoded from JSON when it is JSON."""
    headers = {"Host": host, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(data)
        return response.status, data
    finally:
        conn.close()


class Processes:
    """Start servers and workers; everything started is stopped by the fixture."""

    def __init__(self, app: Flask, tmp_path: Path) -> None:
        self.app = app
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []

    def environment(self, name: str, **settings: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLON_")}
        env.update({
            "MAILLON_SECRET_KEY": "test-secret",
            "MAILLON_DATABASE_URL": self.app.config["DATABASE_URL"],
            "MAILLON_VAR_DIR": str(self.tmp_path / f"var-{name}"),
            "MAILLON_INSTANCES_DIR": self.app.config["INSTANCES_DIR"],
            "MAILLON_THEMES_DIR": self.app.config["THEMES_DIR"],
            "MAILLON_PASSWORD_HASH_METHOD": self.app.config["PASSWORD_HASH_METHOD"],
            "MAILLON_LOCAL_LINKS": "1",
            "MAILLON_MAIL_PORT": str(self.app.config["MAIL_PORT"]),
        })
        env.update({f"MAILLON_{key}": value for key, value in settings.items()})
        # This checkout's code, whatever the virtualenv's editable install points at.
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = (self.tmp_path / f"{name}.log").open("ab")  # a restart appends
        self.logs.append(log)
        # Its own process group: a crash (``kill``) takes gunicorn's workers down with it.
        self.started.append(subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))

    def server(self, name: str, port: int | None = None, *, workers: int = 1,
               **settings: str) -> int:
        """A gunicorn web server (one worker by default); returns its port once it answers.
        Two where a request waits on another server that calls back (a reach query: the other
        server fetches the asking server's key once)."""
        port = port or free_port()
        self._spawn(name, [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
                           f"127.0.0.1:{port}", "wsgi:app"], self.environment(name, **settings))
        self._wait_until_serving(port, name)
        return port

    def worker(self, name: str, **settings: str) -> None:
        """A `maillon worker` process (jobs, periodic tasks)."""
        self._spawn(name, [sys.executable, "-m", "maillon", "worker"],
                    self.environment(name, **settings))

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def _wait_until_serving(self, port: int, name: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"server {name} on port {port} did not start:\n{self.log(name)}")

    def kill(self, name: str) -> None:
        """Stop the processes started under ``name`` (as a crash would: SIGKILL)."""
        for process, log in zip(self.started, self.logs, strict=True):
            if Path(log.name).name == f"{name}.log" and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for process in self.started:
            process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


def wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    """Poll ``check()`` until it returns something truthy (bounded); fail with ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")
