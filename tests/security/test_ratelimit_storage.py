"""Rate-limit counters shared between processes: the SQLite storage (the default) and Redis.

The cross-process tests start two real gunicorn servers on free loopback ports, each with its
own var/ directory, on the same database, and split login failures between them.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from maillon.extensions import limiter
from maillon.ratelimit_storage import SQLiteStorage, path_from_uri
from tests.conftest import FAST_HASH, ROOT, skip_or_fail

REDIS_URL = os.environ.get("MAILLON_TEST_REDIS_URL", "redis://127.0.0.1:6379")


# --- the storage itself -------------------------------------------------------------------

def _storage(tmp_path: Path) -> SQLiteStorage:
    storage = storage_from_string(f"sqlite:///{tmp_path / 'rl.sqlite'}")
    assert isinstance(storage, SQLiteStorage)
    return storage


def test_uri_paths_read_like_sqlalchemy() -> None:
    assert path_from_uri("sqlite:////srv/rl.sqlite") == Path("/srv/rl.sqlite")
    assert path_from_uri("sqlite:///var/rl.sqlite") == Path("var/rl.sqlite")
    with pytest.raises(ValueError, match="sqlite:///"):
        path_from_uri("sqlite://host/rl.sqlite")


def test_fixed_window_counts_clears_and_resets(tmp_path: Path) -> None:
    strategy = FixedWindowRateLimiter(_storage(tmp_path))
    item = parse("3 per minute")
    assert [strategy.hit(item, "a") for _ in range(4)] == [True, True, True, False]
    assert strategy.hit(item, "b")  # another key counts alone
    stats = strategy.get_window_stats(item, "a")
    assert stats.remaining == 0
    assert time.time() < stats.reset_time <= time.time() + 60
    strategy.clear(item, "a")
    assert strategy.test(item, "a")
    assert strategy.storage.reset() is not None
    assert strategy.get_window_stats(item, "b").remaining == 3


def test_fixed_window_starts_again_once_expired(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    strategy = FixedWindowRateLimiter(_storage(tmp_path))
    item = parse("2 per minute")
    assert strategy.hit(item, "k") and strategy.hit(item, "k") and not strategy.hit(item, "k")
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert strategy.get_window_stats(item, "k").remaining == 2
    assert strategy.hit(item, "k")


def test_moving_window(tmp_path: Path) -> None:
    strategy = MovingWindowRateLimiter(_storage(tmp_path))
    item = parse("2 per minute")
    assert [strategy.hit(item, "m") for _ in range(3)] == [True, True, False]
    assert not strategy.test(item, "m")
    assert strategy.get_window_stats(item, "m").remaining == 0
    assert strategy.test(item, "other")


def test_two_storages_on_one_file_share_counters(tmp_path: Path) -> None:
    first = FixedWindowRateLimiter(_storage(tmp_path))
    second = FixedWindowRateLimiter(_storage(tmp_path))
    item = parse("2 per minute")
    assert first.hit(item, "x") and second.hit(item, "x")
    assert not first.hit(item, "x")
    assert not second.hit(item, "x")


def test_a_locked_file_lets_requests_through_and_logs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    storage = _storage(tmp_path)
    strategy = FixedWindowRateLimiter(storage)
    item = parse("1 per minute")
    assert strategy.hit(item, "z")
    blocker = sqlite3.connect(storage.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    storage.timeout = 0.01
    storage._local.conn = None  # reconnect with the short timeout
    try:
        with caplog.at_level(logging.WARNING, logger="maillon.ratelimit_storage"):
            assert strategy.hit(item, "z")  # over the limit, but the counter is unreachable
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "letting requests through" in caplog.text
    assert not strategy.hit(item, "z")  # the file is free again: the limit holds


def test_the_app_defaults_to_a_sqlite_file_in_var(app: Flask) -> None:
    assert app.config["RATELIMIT_STORAGE_URI"] == (
        f"sqlite:///{Path(app.config['VAR_DIR']).resolve() / 'ratelimits.sqlite'}")
    assert isinstance(limiter.storage, SQLiteStorage)


# --- two server processes -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Host": "reseau.localhost", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def two_servers(app: Flask, tmp_path: Path) -> Iterator[Callable[[str, str], list[int]]]:
    """``start(storage_uri, key_prefix)``: two gunicorn servers on the test database; their
    ports are returned. Both share the secret key, database and rate-limit storage; each has
    its own var/ directory."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def start(storage_uri: str, key_prefix: str) -> list[int]:
        ports = []
        for name in ("a", "b"):
            port = _free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLON_")}
            env.update({
                "MAILLON_SECRET_KEY": "test-secret",
                "MAILLON_DATABASE_URL": app.config["DATABASE_URL"],
                "MAILLON_VAR_DIR": str(tmp_path / f"var-{name}"),
                "MAILLON_INSTANCES_DIR": app.config["INSTANCES_DIR"],
                "MAILLON_THEMES_DIR": app.config["THEMES_DIR"],
                "MAILLON_PASSWORD_HASH_METHOD": FAST_HASH,
                "MAILLON_RATELIMIT_STORAGE_URI": storage_uri,
                "MAILLON_RATELIMIT_KEY_PREFIX": key_prefix,
                "MAILLON_LOGIN_RATE_LIMIT": "4 per minute",
                "MAILLON_LOCAL_LINKS": "1",
            })
            log = (tmp_path / f"server-{name}.log").open("wb")
            logs.append(log)
            processes.append(subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                 "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            ports.append(port)
        for port, name in zip(ports, ("a", "b"), strict=True):
            _wait_until_serving(port, tmp_path / f"server-{name}.log")
        return ports

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs:
        log.close()


def _wait_until_serving(port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/login")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server on port {port} did not start:\n{log.read_text(errors='replace')}")


def _failures_split_between(ports: list[int]) -> list[int]:
    """Four failed API logins, alternating servers (the limit is 4 a minute), then one more
    on each server."""
    body = {"email": "nobody@example.org", "password": "wrong password"}
    statuses = [_request(ports[n % 2], "POST", "/api/v1/tokens", body)[0] for n in range(4)]
    return statuses + [_request(port, "POST", "/api/v1/tokens", body)[0] for port in ports]


def test_sqlite_storage_shares_the_login_limit_between_processes(
        two_servers: Callable[[str, str], list[int]], tmp_path: Path) -> None:
    ports = two_servers(f"sqlite:///{tmp_path / 'shared-ratelimits.sqlite'}", "")
    assert _failures_split_between(ports) == [401, 401, 401, 401, 429, 429]


def test_redis_storage_shares_the_login_limit_between_processes(
        two_servers: Callable[[str, str], list[int]]) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"maillon-test-{uuid.uuid4().hex}"
    try:
        ports = two_servers(REDIS_URL, prefix)
        assert _failures_split_between(ports) == [401, 401, 401, 401, 429, 429]
        assert any(client.scan_iter(match=f"*{prefix}*"))  # the counters really are in Redis
    finally:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()
