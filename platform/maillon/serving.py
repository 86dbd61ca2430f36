"""What `maillon serve` (and so `make run`) starts: the production shape on one machine.

A small supervisor in the foreground process keeps three things running:

- the web server: gunicorn, ``workers`` processes (one per core and one more by default) of
  ``threads`` threads each (one by default: the sync worker), serving ``maillon:create_app()``;
- one jobs worker process (``python -m maillon worker``), restarted if it dies;
- the local SMTP sink (a thread of the supervisor, so mail never leaves the machine).

Gunicorn restarts a web worker that dies or overruns its timeout; the supervisor restarts the
jobs worker; stopping the supervisor (Ctrl-C, SIGTERM) stops them all. The benchmarks import
:func:`gunicorn_args` so that "bare Flask" runs with exactly the same server settings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

# A request that runs longer than this is cut (the worker is replaced): every request has a
# bounded worst case even if a bug or a hostile input escapes the per-operation budgets.
REQUEST_TIMEOUT = 30


def default_workers() -> int:
    """One process per core, and one more: a request waiting on another server (a lookup, a
    key fetch, bounded to seconds) leaves a process for the others. Measured (decision 60):
    more processes than that cost CPU per request in switches."""
    return max(1, os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class ServerSettings:
    """The gunicorn settings of `maillon serve` (also used by bench/load for bare Flask)."""

    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = field(default_factory=default_workers)
    # One thread per process (gunicorn's sync worker): with several, the threads of a process
    # take turns on the GIL at every SQLite call, and a request cost up to twice the CPU
    # (decision 60: 990 against 345 profiles a second on this project's 2-core bench).
    threads: int = 1
    timeout: int = REQUEST_TIMEOUT


def gunicorn_args(app_spec: str, settings: ServerSettings, *,
                  access_log: bool = False) -> list[str]:
    """The command line that runs ``app_spec`` (module:callable) under gunicorn."""
    args = [sys.executable, "-m", "gunicorn",
            "--bind", f"{settings.host}:{settings.port}",
            "--workers", str(settings.workers),
            "--worker-class", "gthread" if settings.threads > 1 else "sync",
            "--threads", str(settings.threads),
            "--timeout", str(settings.timeout),
            "--graceful-timeout", "10",
            "--keep-alive", "5",
            "--backlog", "2048",
            "--config", "python:maillon.gunicorn_hooks",
            "--no-control-socket",
            "--error-logfile", "-"]
    if access_log:
        args += ["--access-logfile", "-"]
    return [*args, app_spec]


def worker_args() -> list[str]:
    return [sys.executable, "-m", "maillon", "worker"]


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    restart: bool
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(list(self.argv), env=env)  # noqa: S603
        self.started_at = time.monotonic()


class Supervisor:
    """Start children, restart the ones marked ``restart``, stop them all on a signal."""

    def __init__(self, children: list[Child], env: dict[str, str],
                 echo: Callable[[str], None] = print) -> None:
        self.children = children
        self.env = env
        self.echo = echo
        self._stopping = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> int:
        """Block until a signal, or until a child that is not restarted exits."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                child.start(self.env)
            while not self._stopping:
                time.sleep(0.2)
                for child in self.children:
                    assert child.process is not None
                    code = child.process.poll()
                    if code is None:
                        continue
                    if not child.restart:
                        self.echo(f"{child.name} exited with status {code}: stopping")
                        return code or 1
                    # Quick repeated crashes back off; a long-lived worker restarts at once.
                    quick = time.monotonic() - child.started_at < 10
                    child.restarts = child.restarts + 1 if quick else 0
                    delay = min(30.0, 0.5 * 2 ** child.restarts) if quick else 0.0
                    self.echo(f"{child.name} exited with status {code}: restarting"
                              + (f" in {delay:.0f} s" if delay >= 1 else ""))
                    time.sleep(delay)
                    child.start(self.env)
            return 0
        finally:
            self.stop()
            for s, handler in previous.items():
                signal.signal(s, handler)

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + 15
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
