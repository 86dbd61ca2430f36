"""What run.py and faults.py share: starting Maillon as `make run` does, the bare Flask app
on the same gunicorn settings, a throwaway PostgreSQL database, and stopping it all."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
MAILLON = VENV / "bin" / "maillon"
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-v", "ON_ERROR_STOP=1",
            "-Atq", "-d", "postgres"]
REDIS_URI = "redis://127.0.0.1:6379"


def ensure_venv_python() -> None:
    """Re-run this script with the project's interpreter (maillon must be importable)."""
    try:
        import maillon.serving  # noqa: F401
    except ImportError:
        if Path(sys.executable).resolve() == VENV_PYTHON.resolve() or not VENV_PYTHON.exists():
            raise SystemExit("maillon is not importable: run `make install` first") from None
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Stack:
    """Everything a run starts, stopped in reverse order by :meth:`close` (also on Ctrl-C).

    Each server runs in a session of its own, so that stopping it reaches its gunicorn
    workers and jobs worker and nothing else on the machine.
    """

    def __init__(self, database: str, keep: bool = False) -> None:
        self.database = database
        self.keep = keep
        self.tmp = Path(tempfile.mkdtemp(prefix="maillon-load-"))
        self.var_dir = self.tmp / "var"
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pg_name: str | None = None
        self.env = self._env()

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MAILLON_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(MAILLON_VAR_DIR=str(self.var_dir), MAILLON_MAIL_PORT=str(free_port()),
                   PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
                       os.pathsep))
        if self.database == "postgres":
            self.pg_name = f"maillon_bench_{secrets.token_hex(3)}"
            env.update(
                MAILLON_DATABASE_URL=("postgresql+psycopg://postgres@127.0.0.1:5432/"
                                      f"{self.pg_name}?connect_timeout=5"),
                MAILLON_SEARCH_BACKEND="postgres",
                MAILLON_RATELIMIT_STORAGE_URI=REDIS_URI,
                MAILLON_RATELIMIT_KEY_PREFIX=f"{self.pg_name}:")
        return env

    # -- PostgreSQL ------------------------------------------------------------------------

    def create_database(self) -> None:
        if self.pg_name is None:
            return
        assert self.pg_name.startswith("maillon_bench_")
        try:
            subprocess.run([*PG_ADMIN, "-c", f"CREATE DATABASE {self.pg_name}"], check=True,
                           capture_output=True, text=True)
        except FileNotFoundError:
            raise SystemExit("psql is missing (apt-get install -y postgresql-client)") from None
        except subprocess.CalledProcessError as exc:
            self.pg_name = None  # nothing to drop
            raise SystemExit("cannot create the benchmark database on 127.0.0.1:5432 as "
                             f"postgres: {exc.stderr.strip()}") from None
        log(f"PostgreSQL database {self.pg_name} created")

    def drop_database(self) -> None:
        name, self.pg_name = self.pg_name, None
        if name is None or not name.startswith("maillon_bench_"):  # never anything else
            return
        for _ in range(5):
            done = subprocess.run(
                [*PG_ADMIN, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                capture_output=True, text=True)
            if done.returncode == 0:
                log(f"PostgreSQL database {name} dropped")
                return
            time.sleep(1)
        log(f"could not drop database {name}: {done.stderr.strip()}")

    # -- processes -------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], log_name: str) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log_name, "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.processes.append((name, process))
        return process

    def start_maillon(self, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
        """`make run`: `maillon serve --port PORT` (migrations, demo data, supervisor)."""
        self.maillon_port = port
        return self.spawn("maillon serve", [str(MAILLON), "serve", "--port", str(port),
                                            "--workers", str(workers),
                                            "--threads", str(threads)], "maillon.log")

    def start_bare(self, port: int, same_as: Any = None) -> subprocess.Popen[bytes]:
        """Bare Flask under gunicorn with the same settings as Maillon (``same_as``)."""
        from dataclasses import replace

        from maillon.serving import ServerSettings, gunicorn_args

        settings = replace(same_as or ServerSettings(), port=port)
        return self.spawn("bare Flask", gunicorn_args("bench.load.bare:app", settings),
                          "bare.log")

    def close(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)  # the supervisor stops its children
        deadline = time.monotonic() + 25
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time: killing its process group")
            # Anything left in the server's own session (a worker that outlived its master).
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self.processes.clear()
        self.drop_database()
        if self.keep:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                tail = (self.tmp / ("maillon.log" if name == "maillon serve" else "bare.log"))
                raise SystemExit(f"{name} exited with status {process.returncode}; last lines "
                                 f"of {tail}:\n" + "\n".join(
                                     tail.read_text(errors="replace").splitlines()[-30:]))

    def wait_http(self, url: str, timeout: float, want_json_ok: bool = False) -> float:
        """Wait until ``url`` answers 200 (for /readyz: every check passes)."""
        start = time.monotonic()
        last = ""
        while time.monotonic() - start < timeout:
            self.check_alive()
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    body = answer.read()
                    if not want_json_ok or json.loads(body).get("status") == "ok":
                        return time.monotonic() - start
            except urllib.error.HTTPError as exc:
                last = f"{exc.code} {exc.read()[:300]!r}"
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        raise SystemExit(f"{url} not ready after {timeout:.0f} s: {last}")

    def run_appdata(self, *args: str) -> None:
        subprocess.run([str(VENV_PYTHON), str(HERE / "appdata.py"), *args], cwd=ROOT,
                       env=self.env, check=True)

    # -- the server's processes ----------------------------------------------------------------

    def maillon_tree(self) -> dict[str, Any]:
        """Pids under the `maillon serve` we started: gunicorn master, its workers, jobs worker."""
        supervisor = next(p for n, p in self.processes if n == "maillon serve")
        children = _children(supervisor.pid)
        tree: dict[str, Any] = {"supervisor": supervisor.pid, "gunicorn": None,
                                "web_workers": [], "jobs_worker": None}
        for pid in children:
            cmd = _cmdline(pid)
            if "gunicorn" in cmd:
                tree["gunicorn"] = pid
                tree["web_workers"] = _children(pid)
            elif cmd.endswith("-m maillon worker"):
                tree["jobs_worker"] = pid
        return tree

    def server_pids(self, target: str) -> tuple[list[int], list[int]]:
        """The processes whose CPU a request to ``target`` costs: the web workers, and
        Maillon's jobs worker (none for bare Flask)."""
        if target == "maillon":
            tree = self.maillon_tree()
            return tree["web_workers"], [tree["jobs_worker"]] if tree["jobs_worker"] else []
        master = next(p for n, p in self.processes if n == "bare Flask")
        return _children(master.pid), []

    def server_log(self) -> str:
        path = self.tmp / "maillon.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time so far of these processes (all their threads)."""
    total = 0
    for pid in pids:
        with suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


@contextmanager
def stack(database: str, keep: bool = False) -> Iterator[Stack]:
    """A Stack that is closed whatever happens (SIGTERM is handled like Ctrl-C)."""

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    s = Stack(database, keep)
    try:
        s.create_database()
        yield s
    finally:
        # A second Ctrl-C while stopping must not leave servers behind.
        old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            s.close()
        finally:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, previous)


def log_records(text: str) -> list[str]:
    """A server log split into records: a line starting with a timestamp opens one, the
    lines after it (a traceback) belong to it."""
    records: list[str] = []
    for line in text.splitlines():
        if _is_log_start(line) or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return records


def server_errors(text: str) -> list[tuple[str, str]]:
    """(kind, record) for each 5xx answer, error record and logged traceback of a log.

    kind: "5xx" (an access line; "503" apart), "error" (level ERROR or CRITICAL),
    "traceback" (a traceback logged at a lower level).
    """
    found: list[tuple[str, str]] = []
    for record in log_records(text):
        first = record.split("\n", 1)[0]
        if "maillon.access" in first:
            status = _access_status(first)
            if status is not None and status >= 500:
                found.append(("503" if status == 503 else "5xx", record))
        elif any(f" {level} " in first or f"[{level}]" in first
                 for level in ("ERROR", "CRITICAL")):
            found.append(("error", record))
        elif "Traceback (most recent call last)" in record:
            found.append(("traceback", record))
    return found


def brief(record: str, lines: int = 3) -> str:
    """A log record shortened for a terminal: its first line and, for a traceback, the
    last ``lines`` lines (where it was raised and the exception)."""
    parts = record.splitlines()
    if len(parts) <= lines + 1:
        return record
    return "\n".join([parts[0], "    …", *parts[-lines:]])


def _access_status(line: str) -> int | None:
    parts = line.split()
    for k, part in enumerate(parts[1:], start=1):
        if part.isdigit() and len(part) == 3 and parts[k - 1].startswith("/"):
            return int(part)
    return None


def _is_log_start(line: str) -> bool:
    return (line[:4].isdigit() and line[4:5] == "-") or line.startswith("[20")
