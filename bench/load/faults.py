"""Fault drill: kill things under a write-heavy load, then check that nothing was lost.

    .venv/bin/python bench/load/faults.py                        # SQLite, Whoosh indexes
    .venv/bin/python bench/load/faults.py --database postgres    # PostgreSQL, postgres search
    .venv/bin/python bench/load/faults.py --database postgres --restart-postgres

Starts Maillon as `make run` does (``maillon serve`` on a free port, fresh temporary
MAILLON_VAR_DIR, and with ``--database postgres`` a throwaway database on 127.0.0.1:5432),
issues API tokens for a dozen demo members through ``issue_api_token``, and runs a load of
its own: one thread per member, half reads (search, profiles, paths, /me) and half writes
(``PATCH /me`` headlines, connection requests and endorsements with an Idempotency-Key,
retried with the same key when no answer came). Every write answered 2xx is recorded. Under
that load it

1. kills -9 one gunicorn web worker (gunicorn starts another);
2. kills -9 the jobs worker (`maillon serve` restarts it);
3. deletes the instance's search index directory ``var/search/<slug>`` (Whoosh backend only:
   search must answer 503, never 500, until the worker's health check rebuilds it);
4. with ``--restart-postgres`` only: ``pg_ctlcluster 15 main restart``. That interrupts every
   PostgreSQL user of the machine, so it also refuses while other databases have sessions,
   unless ``--force-restart``.

Then it stops the load, waits for the jobs to drain, and prints PASS/FAIL lines: every
acknowledged write in the database, no job stuck ``running`` or ``failed``, each index's
document count equal to the database's searchable members (then ``maillon search
reconcile``), no 500 answer. Only processes under the `maillon serve` it started are killed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1])]

from bench.load.common import (  # noqa: E402
    MAILLON,
    PG_ADMIN,
    Stack,
    brief,
    ensure_venv_python,
    free_port,
    log,
    server_errors,
    stack,
)

QUERIES = ["plombier", "python", "chief financial officer", "directrice", "lyon", "nantes",
           "développeur", "infirmière", "software engineer", "data science"]
MAX_REQUESTS_PER_THREAD = 50_000
WRITE_RETRIES = 4


@dataclass
class Acks:
    """What the load generator saw; only 2xx answers count as acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    patch: dict[int, dict[str, Any]] = field(default_factory=dict)
    connect: list[tuple[int, int]] = field(default_factory=list)
    endorse: list[tuple[int, int, str]] = field(default_factory=list)
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    search_timeline: list[tuple[float, str]] = field(default_factory=list)

    def count(self, op: str, status: str) -> None:
        with self.lock:
            self.statuses[(op, status)] += 1

    def as_json(self) -> dict[str, Any]:
        return {"patch": {str(k): v for k, v in self.patch.items()},
                "connect": self.connect, "endorse": self.endorse}


class Client:
    """One keep-alive connection; a new one after any error."""

    def __init__(self, port: int, token: str, slug: str) -> None:
        self.port = port
        self.prefix = f"/i/{slug}/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        all_headers = dict(self.headers, **(headers or {}))
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, self.prefix + path, body=payload, headers=all_headers)
            answer = self.conn.getresponse()
            data = answer.read()
            if answer.getheader("Connection", "").lower() == "close":
                self.close()
            return answer.status, data
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Load:
    def __init__(self, port: int, data: dict[str, Any], acks: Acks, duration: float,
                 write_share: float, seed: int) -> None:
        self.port = port
        self.data = data
        self.acks = acks
        self.stop = threading.Event()
        self.deadline = time.monotonic() + duration
        self.write_share = write_share
        self.seed = seed
        self.nonce = secrets.token_hex(3)
        self.threads = [threading.Thread(target=self.worker, args=(i, t), daemon=True)
                        for i, t in enumerate(data["tokens"])]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def _record(self, op: str, method: str, path: str, status: int | str, body: bytes) -> None:
        self.acks.count(op, str(status))
        if isinstance(status, int) and status >= 500 and not (
                status == 503 and op == "search"):
            with self.acks.lock:
                self.acks.server_errors.append({"op": op, "request": f"{method} {path}",
                                                "status": status,
                                                "body": body[:500].decode(errors="replace"),
                                                "at": time.strftime("%H:%M:%S")})

    def send(self, client: Client, op: str, method: str, path: str, body: Any = None,
             idempotent_key: str | None = None) -> int | None:
        """One request (a write is retried, with its key, while no answer comes)."""
        attempts = WRITE_RETRIES if op not in ("search", "profile", "paths", "me") else 1
        headers = {"Idempotency-Key": idempotent_key} if idempotent_key else None
        for attempt in range(attempts):
            try:
                status, data = client.call(method, path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                self._record(op, method, path, f"no answer ({type(exc).__name__})", b"")
                time.sleep(0.2 * (attempt + 1))
                continue
            self._record(op, method, path, status, data)
            if status == 409 and attempt + 1 < attempts:  # idempotency_in_progress
                time.sleep(0.5)
                continue
            if status >= 500 and attempt + 1 < attempts:
                time.sleep(0.5 * (attempt + 1))
                continue
            return status
        return None

    def worker(self, index: int, caller: dict[str, Any]) -> None:
        rng = random.Random(self.seed * 1000 + index)
        client = Client(self.port, caller["token"], caller["slug"])
        ids = self.data["ids"][caller["slug"]]
        connect = list(caller["connect"])
        endorse = list(caller["endorse"])
        me = caller["member_id"]
        patch = self.acks.patch.setdefault(me, {"acked": None, "unanswered_after": [],
                                                "count": 0})
        n = 0
        try:
            while (not self.stop.is_set() and time.monotonic() < self.deadline
                   and n < MAX_REQUESTS_PER_THREAD):
                n += 1
                if rng.random() >= self.write_share:
                    r = rng.random()
                    if r < 0.35:
                        q = urllib.parse.quote(rng.choice(QUERIES))
                        self.send(client, "search", "GET", f"/search?q={q}")
                    elif r < 0.65:
                        self.send(client, "profile", "GET", f"/members/{rng.choice(ids)}")
                    elif r < 0.85:
                        self.send(client, "paths", "GET", f"/members/{rng.choice(ids)}/paths")
                    else:
                        self.send(client, "me", "GET", "/me")
                    continue
                r = rng.random()
                if r < 0.3 and connect:
                    target = connect.pop()
                    key = f"drill-{self.nonce}-{me}-c{target}"
                    status = self.send(client, "connect", "POST", "/connections",
                                       {"member_id": target}, key)
                    if status is not None and 200 <= status < 300:
                        with self.acks.lock:
                            self.acks.connect.append((me, target))
                elif r < 0.6 and endorse:
                    member_id, skill = endorse.pop()
                    key = f"drill-{self.nonce}-{me}-e{member_id}-{len(endorse)}"
                    status = self.send(client, "endorse", "POST",
                                       f"/members/{member_id}/endorsements", {"skill": skill},
                                       key)
                    if status is not None and 200 <= status < 300:
                        with self.acks.lock:
                            self.acks.endorse.append((me, member_id, skill))
                else:
                    headline = f"Drill {self.nonce} · {me} · {n}"
                    status = self.send(client, "patch", "PATCH", "/me",
                                       {"headline": headline})
                    with self.acks.lock:
                        if status is not None and 200 <= status < 300:
                            patch["acked"] = headline
                            patch["unanswered_after"] = []
                            patch["count"] += 1
                        elif status is None or status >= 500:
                            patch["unanswered_after"].append(headline)  # may have committed
        finally:
            client.close()


def get_json(port: int, path: str, token: str | None = None,
             timeout: float = 10) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        answer = conn.getresponse()
        raw = answer.read()
        try:
            return answer.status, json.loads(raw)
        except ValueError:
            return answer.status, raw[:300].decode(errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        return 0, str(exc)
    finally:
        conn.close()


def watch_search(port: int, caller: dict[str, Any], acks: Acks, stop: threading.Event,
                 started: float) -> None:
    """Every 0.5 s one search on the drilled instance: the statuses it went through."""
    last = None
    deadline = time.monotonic() + 900
    while not stop.is_set() and time.monotonic() < deadline:
        status, body = get_json(port, f"/i/{caller['slug']}/api/v1/search?q=lyon",
                                caller["token"])
        label = str(status)
        if status == 200 and isinstance(body, dict):
            label = "200" if body.get("total") else "200 (no results)"
        if label != last:
            acks.search_timeline.append((time.monotonic() - started, label))
            last = label
        stop.wait(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def other_pg_sessions(own: str | None) -> list[str]:
    done = subprocess.run([*PG_ADMIN, "-c",
                           "SELECT datname || ' (' || coalesce(application_name, '') || ')' "
                           "FROM pg_stat_activity WHERE datname IS NOT NULL "
                           "AND pid <> pg_backend_pid()"
                           + (f" AND datname <> '{own}'" if own else "")],
                          capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


class Drill:
    def __init__(self, s: Stack, args: argparse.Namespace) -> None:
        self.s = s
        self.args = args
        self.events: list[str] = []
        self.start = time.monotonic()
        self.killed: dict[str, int] = {}

    def event(self, message: str) -> None:
        line = f"[{time.monotonic() - self.start:6.1f} s] {message}"
        self.events.append(line)
        log(line)

    def kill_web_worker(self) -> None:
        tree = self.s.maillon_tree()
        if not tree["web_workers"]:
            self.event("no gunicorn web worker found: skipped")
            return
        pid = tree["web_workers"][0]
        os.kill(pid, signal.SIGKILL)
        self.killed["web"] = pid
        self.event(f"kill -9 gunicorn web worker {pid} (workers were {tree['web_workers']})")

    def kill_jobs_worker(self) -> None:
        pid = self.s.maillon_tree()["jobs_worker"]
        if pid is None:
            self.event("no jobs worker found: skipped")
            return
        os.kill(pid, signal.SIGKILL)
        self.killed["jobs"] = pid
        self.event(f"kill -9 jobs worker {pid}")

    def delete_index(self, slug: str) -> None:
        if self.s.env.get("MAILLON_SEARCH_BACKEND", "whoosh") != "whoosh":
            self.event(f"delete var/search/{slug}: skipped (search backend "
                       f"{self.s.env['MAILLON_SEARCH_BACKEND']} has no index directory)")
            return
        folder = self.s.var_dir / "search" / slug
        shutil.rmtree(folder)
        self.killed["index"] = 1
        self.event(f"deleted {folder}")

    def restart_postgres(self) -> None:
        others = other_pg_sessions(self.s.pg_name)
        if others and not self.args.force_restart:
            self.event("PostgreSQL restart refused: other databases have sessions "
                       f"({', '.join(sorted(set(others)))}); --force-restart to do it anyway")
            return
        self.event("pg_ctlcluster 15 main restart …")
        done = subprocess.run(["pg_ctlcluster", "15", "main", "restart"], capture_output=True,
                              text=True)
        self.killed["postgres"] = 1
        self.event(f"PostgreSQL restarted (status {done.returncode}"
                   f"{': ' + done.stderr.strip() if done.stderr.strip() else ''})")

    def status(self) -> dict[str, Any]:
        done = subprocess.run([str(HERE.parents[1] / ".venv/bin/python"),
                               str(HERE / "appdata.py"), "status"], cwd=HERE.parents[1],
                              env=self.s.env, capture_output=True, text=True, timeout=120)
        if done.returncode:
            return {"error": done.stderr.strip()[-500:]}
        return dict(json.loads(done.stdout))


def run(args: argparse.Namespace) -> int:
    from maillon.serving import ServerSettings

    with stack(args.database, keep=args.keep) as s:
        if args.search_backend:
            s.env["MAILLON_SEARCH_BACKEND"] = args.search_backend
        settings = ServerSettings()
        port = free_port()
        log(f"temporary data: {s.tmp}")
        s.start_maillon(port, settings.workers, settings.threads)
        took = s.wait_http(f"http://127.0.0.1:{port}/readyz", args.ready_timeout,
                           want_json_ok=True)
        log(f"maillon ready after {took:.0f} s on :{port}")
        log_offset = len(s.server_log())
        data_json = s.tmp / "data.json"
        s.run_appdata("prepare", str(data_json), "--per-instance", str(args.per_instance),
                      "--targets", "60")
        data = json.loads(data_json.read_text())
        slug = args.instance
        watched = next(t for t in data["tokens"] if t["slug"] == slug)
        acks = Acks()
        drill = Drill(s, args)
        load = Load(port, data, acks, args.duration, args.write_share, seed=7)
        watch_stop = threading.Event()
        watcher = threading.Thread(target=watch_search,
                                   args=(port, watched, acks, watch_stop, drill.start),
                                   daemon=True)
        drill.event(f"load: {len(data['tokens'])} threads (one per member), "
                    f"{args.write_share:.0%} writes, {args.duration:g} s")
        load.start()
        watcher.start()
        before = s.maillon_tree()
        steps = [(args.duration * 0.12, drill.kill_web_worker),
                 (args.duration * 0.25, drill.kill_jobs_worker),
                 (args.duration * 0.38, lambda: drill.delete_index(slug))]
        if args.restart_postgres:
            if args.database != "postgres":
                drill.event("--restart-postgres ignored: the database is SQLite")
            else:
                steps.append((args.duration * 0.6, drill.restart_postgres))
        for at, step in steps:
            while time.monotonic() - drill.start < at:
                time.sleep(0.2)
                s.check_alive()
            step()
        while any(t.is_alive() for t in load.threads) and time.monotonic() < load.deadline:
            time.sleep(0.5)
            s.check_alive()
        load.join()
        drill.event("load stopped")
        after = s.maillon_tree()

        # Settle: search answering again, jobs drained.
        settle_deadline = time.monotonic() + args.settle
        state: dict[str, Any] = {}
        while time.monotonic() < settle_deadline:
            state = drill.status()
            jobs = state.get("jobs", {})
            ready_code, ready = get_json(port, "/readyz")
            search_ok = any(label == "200" for _, label in acks.search_timeline[-1:])
            if (not jobs.get("queued due") and not jobs.get("running") and ready_code == 200
                    and search_ok):
                break
            time.sleep(3)
        watch_stop.set()
        watcher.join(timeout=15)
        drill.event(f"settled: jobs {state.get('jobs')}")

        ready_code, ready = get_json(port, "/readyz")
        acks_path = s.tmp / "acks.json"
        acks_path.write_text(json.dumps(acks.as_json()))
        report_path = s.tmp / "verify.json"
        s.run_appdata("verify", str(data_json), str(acks_path), str(report_path))
        report = json.loads(report_path.read_text())
        reconcile = subprocess.run([str(MAILLON), "search", "reconcile"], cwd=HERE.parents[1],
                                   env=s.env, capture_output=True, text=True, timeout=300)
        log_errors = server_errors(s.server_log()[log_offset:])
        return print_report(args, drill, acks, report, state, ready_code, ready, reconcile,
                            log_errors, before, after)


def print_report(args: argparse.Namespace, drill: Drill, acks: Acks, report: dict[str, Any],
                 state: dict[str, Any], ready_code: int, ready: Any,
                 reconcile: subprocess.CompletedProcess[str], log_errors: list[tuple[str, str]],
                 before: dict[str, Any], after: dict[str, Any]) -> int:
    print()
    print(f"Fault drill: database {args.database}, search backend "
          f"{drill.s.env.get('MAILLON_SEARCH_BACKEND', 'whoosh')}, {args.duration:g} s of load")
    print("events:")
    for line in drill.events:
        print("  " + line)
    print("requests seen by the load generator (operation: status × count):")
    by_op: dict[str, Counter[str]] = {}
    for (op, status), n in acks.statuses.items():
        by_op.setdefault(op, Counter())[status] = n
    for op in sorted(by_op):
        print(f"  {op:8} " + ", ".join(f"{st} × {n}" for st, n in sorted(by_op[op].items())))
    print("search on the drilled instance, every 0.5 s (seconds since start: status):")
    print("  " + ", ".join(f"{t:.1f}: {label}" for t, label in acks.search_timeline))
    print(f"processes: web workers {before['web_workers']} → {after['web_workers']}, "
          f"jobs worker {before['jobs_worker']} → {after['jobs_worker']}")

    lines: list[tuple[bool, str]] = []
    for kind, label in (("patch", "profile updates (PATCH /me, last acknowledged value)"),
                        ("connect", "connection requests (POST /connections)"),
                        ("endorse", "endorsements (POST /members/{id}/endorsements)")):
        part = report[kind]
        lost = part["lost"]
        extra = (f", {part['writes_acked']} writes acknowledged" if kind == "patch" else "")
        lines.append((not lost, f"{label}: {part['checked']} checked{extra}, "
                      f"{len(lost)} lost" + (f": {lost[:5]}" if lost else "")))
    jobs = report["jobs"]
    problems = jobs["problems"]
    stuck = [p for p in problems if p["status"] == "running"]
    failed = [p for p in problems if p["status"] == "failed"]
    due = state.get("jobs", {}).get("queued due", 0)
    lines.append((not problems and not due,
                  f"jobs: {jobs['by_status']}; {len(stuck)} stuck running, {len(failed)} "
                  f"failed, {due} due and not run"))
    for p in problems[:5]:
        note = ""
        pid = (p["locked_by"] or "").split(":")[1:2]
        if p["status"] == "running" and pid and pid[0].isdigit():
            if int(pid[0]) == drill.killed.get("jobs"):
                note = " (claimed by the jobs worker killed by the drill)"
            elif _alive(int(pid[0])):
                note = (f" (its worker {pid[0]} is alive; "
                        f"{p['finished_after_it_was_claimed']} jobs finished after this one "
                        "was claimed)")
        print(f"  job {p['id']} {p['kind']} {p['status']} attempts {p['attempts']} "
              f"locked_by {p['locked_by']} at {p['locked_at']}{note}\n    "
              + (p["last_error"] or "").replace("\n", "\n    ")[-1200:])
    if jobs["retried"]:
        print(f"  {len(jobs['retried'])} jobs succeeded after a failed attempt; the first "
              "error: " + jobs["retried"][0]["last_error"].strip().splitlines()[-1][:300])
    searchable = state.get("searchable", {})
    counts = {}
    if isinstance(ready, dict):
        counts = {slug: v.get("documents") for slug, v in
                  ready.get("checks", {}).get("search", {}).get("instances", {}).items()}
    same = bool(searchable) and all(counts.get(k) == v for k, v in searchable.items())
    lines.append((same, f"search index documents {counts} vs searchable members in the "
                  f"database {searchable} (/readyz {ready_code})"))
    rec = reconcile.stdout.strip().replace("\n", "; ")
    clean_rec = reconcile.returncode == 0 and all(
        "missing 0, extra 0" in line for line in reconcile.stdout.strip().splitlines())
    lines.append((clean_rec, f"maillon search reconcile: {rec or reconcile.stderr[-300:]}"))
    seen_500 = [e for e in acks.server_errors if e["status"] == 500]
    other_5xx = [e for e in acks.server_errors if e["status"] != 500]
    lines.append((not seen_500, f"500 answers seen by clients: {len(seen_500)}"
                  + (f"; first: {seen_500[0]}" if seen_500 else "")))
    if other_5xx:
        print(f"  other 5xx answers outside search: {len(other_5xx)}; first: {other_5xx[0]}")
    search_codes = {st for (op, st), _n in acks.statuses.items() if op == "search"}
    if "index" in drill.killed:
        timeline = [label for _, label in acks.search_timeline]
        went_503 = "503" in timeline
        recovered = bool(timeline) and timeline[-1] == "200"
        lines.append((went_503 and recovered and "500" not in search_codes,
                      f"search while var/search/{args.instance} was missing: "
                      f"{'503 then 200' if went_503 and recovered else timeline}, "
                      f"search statuses seen {sorted(search_codes)}"))
    expected = [f"Worker (pid:{drill.killed['web']}) was sent SIGKILL"] if "web" in drill.killed \
        else []
    serious = [(k, r) for k, r in log_errors if k in ("5xx", "error")
               and not any(e in r for e in expected)]
    minor = [(k, r) for k, r in log_errors if (k, r) not in serious]
    lines.append((not serious, f"server log: {len(serious)} 5xx answers (503 apart) or error "
                  f"records; also {sum(k == '503' for k, _ in minor)} 503s, "
                  f"{sum(k == 'traceback' for k, _ in minor)} tracebacks logged below ERROR, "
                  f"{sum(k == 'error' for k, _ in minor)} expected errors (the killed worker)"))
    for kind in ("5xx", "error", "503", "traceback"):
        first = next((r for k, r in log_errors if k == kind), None)
        if first:
            print(f"  first [{kind}] in the server log: "
                  + brief(first).replace("\n", "\n    "))
    if log_errors:
        out = Path(args.errors_file)
        out.write_text("\n\n".join(f"[{k}] {r}" for k, r in log_errors))
        print(f"  all of them: {out}")
    print()
    for ok, text in lines:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    verdict = all(ok for ok, _ in lines)
    print(f"\n{'PASS' if verdict else 'FAIL'}: "
          + ("nothing lost" if verdict else "see the FAIL lines above"))
    return 0 if verdict else 1


def main() -> None:
    ensure_venv_python()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--search-backend", choices=["whoosh", "postgres"], default=None,
                        help="default: whoosh on SQLite, postgres on PostgreSQL (as run.py)")
    parser.add_argument("--duration", type=float, default=90, help="seconds of load")
    parser.add_argument("--write-share", type=float, default=0.5)
    parser.add_argument("--per-instance", type=int, default=4,
                        help="members (load threads) per instance")
    parser.add_argument("--instance", default="reseau",
                        help="whose search index directory is deleted")
    parser.add_argument("--settle", type=float, default=120,
                        help="seconds to wait for jobs to drain after the load")
    parser.add_argument("--restart-postgres", action="store_true",
                        help="also restart PostgreSQL (affects every user of the machine)")
    parser.add_argument("--force-restart", action="store_true",
                        help="restart PostgreSQL even while other databases have sessions")
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument("--errors-file", default="/tmp/maillon-faults-errors.txt")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    try:
        code = run(args)
    except KeyboardInterrupt:
        log("interrupted: everything started was stopped")
        code = 130
    raise SystemExit(code)


if __name__ == "__main__":
    main()
