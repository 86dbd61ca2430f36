"""Load benchmark: Maillon as `make run` serves it, against bare Flask on the same server.

    .venv/bin/python bench/load/run.py                      # SQLite, 30 s per scenario
    .venv/bin/python bench/load/run.py --database postgres  # PostgreSQL + Redis rate limits
    make bench-load ARGS="--duration 10"

Starts, in a fresh temporary MAILLON_VAR_DIR, ``maillon serve --port <free port>`` (migrations,
demo data, gunicorn web workers, the jobs worker, the SMTP sink) and a bare Flask "hello" app
under ``maillon.serving.gunicorn_args`` with the same ``ServerSettings``; waits until /readyz
passes; issues API tokens for a dozen demo members through ``issue_api_token``; then drives
each scenario with wrk (``scenario.lua``, 50 connections) and prints one table: req/s, ratio to
bare Flask, p50, p99, non-2xx answers, timeouts and socket errors, the goal and whether it is
met. Everything it started is stopped at the end, also on Ctrl-C.

With ``--database postgres`` the server uses a throwaway database ``maillon_bench_<hex>`` on
127.0.0.1:5432 (user postgres, trust auth), dropped at the end, with
MAILLON_SEARCH_BACKEND=postgres and rate limits in Redis (127.0.0.1:6379).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1])]

from bench.load.common import (  # noqa: E402
    Stack,
    brief,
    cpu_seconds,
    ensure_venv_python,
    free_port,
    log,
    server_errors,
    stack,
)

QUERIES = ["plombier", "python", '"chief financial officer"', "directrice", "lyon",
           "développeur python", "infirmière", "chef de projet", "software engineer",
           "nantes", "comptable", "data science", "boulang*", "pyhton", "skill:python",
           "recherche bordeaux", "head of support", "enseignant chercheur"]
HEADLINES = ["Artisan plombier · Nantes", "Développeuse Python · Lyon",
             "Chief Financial Officer · Acme Paris", "Directrice de recherche · CNRS",
             "Consultant indépendant · Lille", "Infirmière coordinatrice · Rennes"]


@dataclass
class Scenario:
    name: str
    label: str
    script: str  # BENCH_SCENARIO
    min_ratio: float | None = None
    max_p99_ms: float | None = None
    write: bool = False
    target: str = "maillon"


SCENARIOS = [
    Scenario("bare", "bare Flask hello (GET /)", "bare", target="bare"),
    Scenario("home", "home page /i/<slug>/, logged out", "home", min_ratio=0.20),
    Scenario("profile", "GET /api/v1/members/{id}", "profile", min_ratio=0.25),
    Scenario("search", "GET /api/v1/search?q=…", "search", min_ratio=0.10),
    Scenario("paths", "GET /api/v1/members/{id}/paths", "paths", min_ratio=0.15),
    Scenario("mixed", "mixed API reads", "mixed", min_ratio=0.15, max_p99_ms=250),
    Scenario("writes", "80 % reads + 20 % writes", "writes", write=True),
]
HOSTILE_MAX_MS = 200.0
HOSTILE_ME_P99_MS = 100.0


@dataclass
class Result:
    scenario: str
    label: str
    data: dict[str, Any]
    goal: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.data["requests"] / max(1e-9, self.data["duration_us"] / 1e6)

    @property
    def non2xx(self) -> int:
        return sum(n for code, n in self.data["statuses"].items() if not code.startswith("2"))

    @property
    def timeouts(self) -> int:
        return int(self.data["timeout"])

    @property
    def socket_errors(self) -> int:
        return int(self.data["connect"] + self.data["read"] + self.data["write"])

    def ms(self, key: str) -> float:
        return float(self.data[key]) / 1000.0

    @property
    def cpu_ms(self) -> float | None:
        """The web workers' CPU per request, which the neighbours' load on a shared machine
        moves far less than req/s (the jobs worker's, meanwhile, is in ``worker_cpu_s``)."""
        if "server_cpu_s" not in self.data or not self.data["requests"]:
            return None
        return 1000.0 * float(self.data["server_cpu_s"]) / int(self.data["requests"])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("wrk is required: install it with `apt-get install -y wrk` (as root), "
                     "then run again")


def lua_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                   .replace("\r", "\\r"))
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_value(k)}] = {lua_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(type(value))


def write_lua_data(data: dict[str, Any], path: Path) -> None:
    lua = {
        "tokens": [{"slug": t["slug"], "id": t["member_id"], "token": t["token"],
                    "connect": t["connect"], "endorse": t["endorse"][:50]}
                   for t in data["tokens"]],
        "ids": data["ids"],
        "queries": [urllib.parse.quote(q, safe="") for q in QUERIES],
        "headlines": HEADLINES,
        "homes": [f"/i/{slug}/" for slug in sorted(data["ids"])],
    }
    path.write_text("return " + lua_value(lua) + "\n")


class Runner:
    def __init__(self, s: Stack, args: argparse.Namespace, wrk: str, ports: dict[str, int],
                 data_lua: Path) -> None:
        self.s = s
        self.args = args
        self.wrk = wrk
        self.ports = ports
        self.data_lua = data_lua
        self.nonce = secrets.token_hex(4)

    def _command(self, script: str, target: str, duration: float, connections: int,
                 threads: int) -> tuple[list[str], dict[str, str]]:
        cmd = [self.wrk, "-t", str(max(1, min(threads, connections))), "-c", str(connections),
               "-d", f"{max(1, round(duration))}s", "--timeout", f"{self.args.timeout}s",
               "-s", str(HERE / "scenario.lua"), f"http://127.0.0.1:{self.ports[target]}"]
        env = dict(os.environ, BENCH_DATA=str(self.data_lua), BENCH_LUA_DIR=str(HERE),
                   BENCH_SCENARIO=script, BENCH_NONCE=self.nonce)
        return cmd, env

    @staticmethod
    def _parse(stdout: str, stderr: str, what: str) -> dict[str, Any]:
        for line in stdout.splitlines():
            if line.startswith("BENCHJSON "):
                return dict(json.loads(line[len("BENCHJSON "):]))
        raise SystemExit(f"wrk gave no result for {what}:\n{stdout}\n{stderr}")

    def wrk_run(self, script: str, target: str, duration: float,
                connections: int | None = None) -> dict[str, Any]:
        self.s.check_alive()
        cmd, env = self._command(script, target, duration,
                                 connections or self.args.connections, self.args.wrk_threads)
        web, jobs = self.s.server_pids(target)
        before = cpu_seconds(web), cpu_seconds(jobs)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=duration + self.args.timeout + 60)
        result = self._parse(done.stdout, done.stderr, script)
        result["server_cpu_s"] = cpu_seconds(web) - before[0]
        result["worker_cpu_s"] = cpu_seconds(jobs) - before[1]
        return result

    def hostile(self, duration: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """5 connections of hostile searches while 5 others call /me."""
        self.s.check_alive()
        procs = []
        for script in ("hostile", "me"):
            cmd, env = self._command(script, "maillon", duration, 5, 1)
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
        try:
            outs = [p.communicate(timeout=duration + self.args.timeout + 60) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        return (self._parse(*outs[0], "hostile"), self._parse(*outs[1], "me"))


def judge(results: list[Result], bare_rps: float) -> None:
    for r in results:
        clean = r.non2xx == 0 and r.timeouts == 0 and r.socket_errors == 0
        parts, ok = ["0 non-2xx/timeouts"], clean
        scenario = next((s for s in SCENARIOS if s.name == r.scenario), None)
        if scenario and scenario.min_ratio is not None:
            parts.insert(0, f"≥ {scenario.min_ratio:.2f}×")
            ok = ok and bare_rps > 0 and r.rps / bare_rps >= scenario.min_ratio
        if scenario and scenario.max_p99_ms is not None:
            parts.insert(1, f"p99 ≤ {scenario.max_p99_ms:.0f} ms")
            ok = ok and r.ms("p99_us") <= scenario.max_p99_ms
        if r.scenario == "hostile":
            parts = [f"each ≤ {HOSTILE_MAX_MS:.0f} ms (max)", "0 non-2xx/timeouts"]
            ok = clean and r.ms("max_us") <= HOSTILE_MAX_MS
        if r.scenario == "hostile-me":
            parts = [f"p99 ≤ {HOSTILE_ME_P99_MS:.0f} ms", "0 non-2xx/timeouts"]
            ok = clean and r.ms("p99_us") <= HOSTILE_ME_P99_MS
        if r.scenario == "bare":
            parts, ok = ["reference"], clean
        r.goal, r.met = ", ".join(parts), ok


def print_table(results: list[Result], bare_rps: float, title: str) -> None:
    headers = ["scenario", "req/s", "× bare", "CPU ms/req", "× bare CPU", "worker CPU s",
               "p50 ms", "p99 ms", "max ms", "non-2xx", "timeouts/sock", "goal", "met"]
    rows = []
    bare_cpu = next((r.cpu_ms for r in results if r.scenario == "bare"), None)
    for r in results:
        ratio = "" if r.scenario.startswith("hostile") or not bare_rps else (
            f"{r.rps / bare_rps:.3f}")
        cpu = r.cpu_ms
        cpu_ratio = "" if r.scenario.startswith("hostile") or not cpu or not bare_cpu else (
            f"{bare_cpu / cpu:.3f}")
        worker = r.data.get("worker_cpu_s")
        rows.append([r.label, f"{r.rps:,.1f}", ratio, "" if cpu is None else f"{cpu:.2f}",
                     cpu_ratio, "" if worker is None else f"{worker:.1f}",
                     f"{r.ms('p50_us'):.1f}",
                     f"{r.ms('p99_us'):.1f}", f"{r.ms('max_us'):.1f}", str(r.non2xx),
                     f"{r.timeouts}/{r.socket_errors}", r.goal,
                     "yes" if r.met else "NO"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    right = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

    def line(cells: list[str]) -> str:
        return " | ".join(c.rjust(w) if i in right else c.ljust(w)
                          for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    print()
    print(title)
    print(line(headers))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    for r in results:
        bad = {k: v for k, v in r.data["statuses"].items() if not k.startswith("2")}
        if bad or r.notes:
            print(f"  {r.label}: statuses {dict(sorted(r.data['statuses'].items()))}"
                  + ("; " + "; ".join(r.notes) if r.notes else ""))
    met = [r for r in results if r.met]
    print(f"goals met: {len(met)}/{len(results)}"
          + "".join(f"\n  {'met    ' if r.met else 'NOT MET'}  {r.label}: {r.goal}"
                    for r in results))


def report_server_log(errors: list[tuple[str, str]], path: Path) -> None:
    """What the server logged while measured: 5xx answers, errors, tracebacks."""
    kinds = Counter(kind for kind, _ in errors)
    if not errors:
        print("server log: no 5xx answer, no error, no traceback")
        return
    print(f"server log: {kinds.get('5xx', 0)} 5xx answers (503 apart: {kinds.get('503', 0)}), "
          f"{kinds.get('error', 0)} error records, {kinds.get('traceback', 0)} tracebacks "
          "logged below ERROR; the first of each kind:")
    for kind in ("5xx", "503", "error", "traceback"):
        first = next((record for k, record in errors if k == kind), None)
        if first:
            print(f"  [{kind}] " + brief(first).replace("\n", "\n    "))
    path.write_text("\n\n".join(f"[{kind}] {record}" for kind, record in errors))
    print(f"all of them: {path}")


def run(args: argparse.Namespace) -> int:
    from maillon.serving import ServerSettings

    wrk = ensure_wrk()
    write_duration = args.write_duration or 2 * args.duration
    selected = set(args.only.split(",")) if args.only else None
    with stack(args.database, keep=args.keep) as s:
        settings = ServerSettings(**{k: v for k, v in (("workers", args.workers),
                                                      ("threads", args.threads)) if v})
        ports = {"maillon": free_port(), "bare": free_port()}
        log(f"temporary data: {s.tmp}")
        s.start_maillon(ports["maillon"], settings.workers, settings.threads)
        s.start_bare(ports["bare"], settings)
        log(f"gunicorn: {settings.workers} worker processes × {settings.threads} threads, "
            f"maillon on :{ports['maillon']}, bare Flask on :{ports['bare']}")
        s.wait_http(f"http://127.0.0.1:{ports['bare']}/", 60)
        took = s.wait_http(f"http://127.0.0.1:{ports['maillon']}/readyz", args.ready_timeout,
                           want_json_ok=True)
        log(f"maillon ready (/readyz ok) after {took:.0f} s")
        log_offset = len(s.server_log())  # the 503s of /readyz while starting are expected
        data_json = s.tmp / "data.json"
        s.run_appdata("prepare", str(data_json), "--per-instance", "4")
        data = json.loads(data_json.read_text())
        log(f"{len(data['tokens'])} API tokens issued through issue_api_token")
        s.run_appdata("settle", "--timeout", "120")  # the worker's catch-up, before measuring
        log("waited for the jobs worker to catch up (settled: see the line above)")
        data_lua = s.tmp / "data.lua"
        write_lua_data(data, data_lua)
        runner = Runner(s, args, wrk, ports, data_lua)
        if args.warmup > 0:
            log(f"warm-up: {args.warmup:g} s of mixed reads and home pages")
            runner.wrk_run("mixed", "maillon", args.warmup, connections=10)
            runner.wrk_run("home", "maillon", max(1, args.warmup / 2), connections=10)
        results: list[Result] = []
        for scenario in SCENARIOS:
            if selected and scenario.name not in selected and scenario.name != "bare":
                continue
            duration = write_duration if scenario.write else args.duration
            log(f"{scenario.name}: {duration:g} s, {args.connections} connections")
            results.append(Result(scenario.name, scenario.label,
                                  runner.wrk_run(scenario.script, scenario.target, duration)))
        if not selected or "hostile" in selected:
            log(f"hostile: {args.duration:g} s, 5 connections of 496-character searches "
                "+ 5 connections of /me")
            hostile, me = runner.hostile(args.duration)
            results.append(Result("hostile", "hostile searches (5 conns)", hostile))
            results.append(Result("hostile-me", "/me meanwhile (5 conns)", me))
        s.check_alive()
        bare_rps = next((r.rps for r in results if r.scenario == "bare"), 0.0)
        judge(results, bare_rps)
        title = (f"Maillon load benchmark: database {args.database}"
                 + (" (search backend postgres, rate limits in Redis)"
                    if args.database == "postgres" else " (search backend whoosh)")
                 + f"; {settings.workers} gunicorn workers × {settings.threads} threads; "
                 f"wrk {args.wrk_threads} threads, {args.connections} connections, "
                 f"{args.duration:g} s per scenario ({write_duration:g} s for writes); "
                 f"{os.cpu_count()} cores, shared machine")
        print_table(results, bare_rps, title)
        report_server_log(server_errors(s.server_log()[log_offset:]), Path(args.errors_file))
        if args.json:
            Path(args.json).write_text(json.dumps(
                [{"scenario": r.scenario, "rps": r.rps, "goal": r.goal, "met": r.met,
                  **r.data} for r in results], indent=1))
        return 0 if all(r.met for r in results) else 1


def main() -> None:
    ensure_venv_python()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=30, help="seconds per scenario")
    parser.add_argument("--write-duration", type=float, default=None,
                        help="seconds of the read/write mix (default: twice --duration)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=10,
                        help="wrk counts a request slower than this (seconds) as a timeout")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument("--only", default="",
                        help="comma-separated scenarios (bare always runs): "
                             + ",".join(s.name for s in SCENARIOS[1:]) + ",hostile")
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument("--errors-file", default="/tmp/maillon-bench-load-errors.txt")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn worker processes (default: maillon serve's, one per core)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default: maillon serve's)")
    args = parser.parse_args()
    start = time.monotonic()
    try:
        code = run(args)
    except KeyboardInterrupt:
        log("interrupted: everything started was stopped")
        code = 130
    log(f"done in {time.monotonic() - start:.0f} s")
    raise SystemExit(code)


if __name__ == "__main__":
    main()
