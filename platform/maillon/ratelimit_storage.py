"""A `limits` storage in a small SQLite file: rate-limit counters shared by every process of
one machine without Redis (``sqlite:///var/ratelimits.sqlite``, SQLAlchemy-style paths).

Counters are not precious: each operation is one short transaction with a short busy
timeout, and when the file is locked or broken the storage fails open (the request is let
through) and logs a line, rather than failing the request. Supports the fixed-window strategy
(Flask-Limiter's default) and the moving-window one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from limits.storage import MovingWindowSupport, Storage

log = logging.getLogger(__name__)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, "
    "expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_key_at ON entries (key, at)",
)
# One upsert: a counter whose window is over starts again at `amount` with a new expiry.
INCR = (
    "INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :expires) "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = CASE WHEN counters.expires_at <= :now THEN :amount "
    "ELSE counters.value + :amount END, "
    "expires_at = CASE WHEN counters.expires_at <= :now THEN :expires "
    "ELSE counters.expires_at END "
    "RETURNING value")
PURGE_EVERY = 60.0  # seconds between deletions of expired rows, per process
LOG_EVERY = 10.0  # a locked file under load would otherwise log on every request


def path_from_uri(uri: str) -> Path:
    """``sqlite:///relative/file`` or ``sqlite:////absolute/file`` (as SQLAlchemy reads them)."""
    parts = urlsplit(uri)
    if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
        raise ValueError(f"expected sqlite:///path/to/file, got {uri!r}")
    return Path(parts.path[1:])


class SQLiteStorage(Storage, MovingWindowSupport):
    """Fixed and moving windows in one SQLite file; one connection per thread and process."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: float | str | bool) -> None:
        self.path = path_from_uri(uri or "")
        query = parse_qs(urlsplit(uri or "").query)
        self.timeout = float(query.get("timeout", [options.get("timeout", 0.25)])[0])
        self._local = threading.local()
        self._last_purge = 0.0
        self._last_log = 0.0
        # Every thread's connection, closed when the storage goes (an app replaced in tests).
        self._connections: list[sqlite3.Connection] = []
        weakref.finalize(self, _close_all, self._connections)
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    # --- connection ---------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection; a forked worker never reuses its parent's."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # counters may lose the last second on a crash
        for statement in SCHEMA:
            conn.execute(statement)
        self._local.conn, self._local.pid = conn, os.getpid()
        self._connections.append(conn)
        return conn

    def _failed(self, what: str, exc: Exception) -> None:
        """Fail open: the request goes through; say so in the log, now and then."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:  # a broken connection is not reused
            self._local.conn = None
            with contextlib.suppress(sqlite3.Error, ValueError):
                self._connections.remove(conn)
                conn.close()
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY:
            self._last_log = now
            log.warning("rate-limit storage %s: %s failed (%s); letting requests through",
                        self.path, what, exc)

    def _purge(self, conn: sqlite3.Connection, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        # Moving-window entries older than a day serve no limit shorter than a day.
        conn.execute("DELETE FROM entries WHERE at <= ?", (now - 86400,))

    # --- fixed window -------------------------------------------------------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        try:
            conn = self._connection()
            self._purge(conn, now)
            row = conn.execute(INCR, {"key": key, "amount": amount, "expires": now + expiry,
                                      "now": now}).fetchone()
            return int(row[0])
        except sqlite3.Error as exc:
            self._failed("incr", exc)
            return 0

    def get(self, key: str) -> int:
        try:
            row = self._connection().execute(
                "SELECT value FROM counters WHERE key = ? AND expires_at > ?",
                (key, time.time())).fetchone()
        except sqlite3.Error as exc:
            self._failed("get", exc)
            return 0
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        try:
            row = self._connection().execute(
                "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?",
                (key, now)).fetchone()
        except sqlite3.Error as exc:
            self._failed("get_expiry", exc)
            return now
        return float(row[0]) if row else now

    def clear(self, key: str) -> None:
        try:
            conn = self._connection()
            conn.execute("DELETE FROM counters WHERE key = ?", (key,))
            conn.execute("DELETE FROM entries WHERE key = ?", (key,))
        except sqlite3.Error as exc:
            self._failed("clear", exc)

    def reset(self) -> int | None:
        try:
            conn = self._connection()
            count = conn.execute("DELETE FROM counters").rowcount
            count += conn.execute("DELETE FROM entries").rowcount
        except sqlite3.Error as exc:
            self._failed("reset", exc)
            return None
        return int(count)

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    # --- moving window ------------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")  # count and insert atomically across processes
            try:
                (count,) = conn.execute("SELECT count(*) FROM entries WHERE key = ? AND at > ?",
                                        (key, now - expiry)).fetchone()
                if count + amount > limit:
                    return False
                conn.executemany("INSERT INTO entries (key, at) VALUES (?, ?)",
                                 [(key, now)] * amount)
                return True
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            self._failed("acquire_entry", exc)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        try:
            oldest, count = self._connection().execute(
                "SELECT min(at), count(*) FROM entries WHERE key = ? AND at > ?",
                (key, now - expiry)).fetchone()
        except sqlite3.Error as exc:
            self._failed("get_moving_window", exc)
            return now, 0
        return (float(oldest), int(count)) if count else (now, 0)

    def _rollback(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_local", None)
        state.pop("_connections", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()
        self._connections = []
        weakref.finalize(self, _close_all, self._connections)


def _close_all(connections: list[sqlite3.Connection]) -> None:
    for conn in connections:
        with contextlib.suppress(sqlite3.Error):
            conn.close()
    connections.clear()
