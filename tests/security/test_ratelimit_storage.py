"""Rate-limit counters shared between processes: the SQLite storage (the default) and Redis.

The cross-process tests start two real gunicorn servers on free loopback ports, each with its
own var/ directory, on the same database, and split login failures between them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from maillon.extensions import limiter
from maillon.ratelimit_storage import SQLiteStorage, path_from_uri
from tests.conftest import skip_or_fail
from tests.processes import Processes, request

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

@pytest.fixture
def two_servers(processes: Processes) -> Callable[[str, str], list[int]]:
    """``start(storage_uri, key_prefix)``: two gunicorn servers on the test database; their
    ports are returned. Both share the secret key, database and rate-limit storage; each has
    its own var/ directory."""

    def start(storage_uri: str, key_prefix: str) -> list[int]:
        return [processes.server(name, RATELIMIT_STORAGE_URI=storage_uri,
                                 RATELIMIT_KEY_PREFIX=key_prefix,
                                 LOGIN_RATE_LIMIT="4 per minute") for name in ("a", "b")]

    return start


def _request(port: int, method: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[int, Any]:
    return request(port, method, path, body)


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
