"""Per-request cost of the load benchmark's routes, in process: CPU time and SQL statements.

    .venv/bin/python bench/load/cost.py [--var-dir /tmp/perf/var] [-n 300] [--only profile,me]
    .venv/bin/python bench/load/cost.py --profile paths      # cProfile of one route, top 40

On a shared machine wrk's throughput moves with the neighbours' load; the CPU time a request
costs in one thread (``time.thread_time``) and its statement count do not, or much less. This
script builds the app as ``maillon serve`` would (the var dir is prepared first if empty:
migrations, demo data), issues API tokens as ``appdata.py prepare`` does, and calls the WSGI
app directly (no HTTP, no test client) with the scenarios' requests: for each route the median
and mean CPU milliseconds per request over ``-n`` calls after a warm-up, the wall time, and
the SQL statements of one request. The bare Flask app of bench/load/bare.py is measured the same
way, as the reference the throughput ratios divide by.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.load.run import QUERIES  # noqa: E402

Call = Callable[[], dict[str, Any]]


def _environ(path: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    builder = EnvironBuilder(path=path, base_url="http://127.0.0.1:5080", headers=headers)
    try:
        return dict(builder.get_environ())
    finally:
        builder.close()


def call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> None:
        status.append(s)

    body = b"".join(app(dict(environ), start_response))
    return status[0], body


def routes(data: dict[str, Any], rng: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    tokens = data["tokens"]

    def caller() -> dict[str, Any]:
        return rng.choice(tokens)

    def api(c: dict[str, Any], path: str) -> dict[str, Any]:
        return _environ(f"/i/{c['slug']}/api/v1{path}", c["token"])

    def profile() -> dict[str, Any]:
        c = caller()
        return api(c, f"/members/{rng.choice(data['ids'][c['slug']])}")

    def paths() -> dict[str, Any]:
        c = caller()
        return api(c, f"/members/{rng.choice(data['ids'][c['slug']])}/paths")

    def search() -> dict[str, Any]:
        return api(caller(), "/search?q=" + urllib.parse.quote(rng.choice(QUERIES), safe=""))

    def me() -> dict[str, Any]:
        return api(caller(), "/me")

    def home() -> dict[str, Any]:
        return _environ(f"/i/{rng.choice(sorted(data['ids']))}/")

    def hostile() -> dict[str, Any]:
        noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(490))
        return api(caller(), f"/search?q=lille%20{noise}")

    def mixed() -> dict[str, Any]:
        r = rng.randint(1, 100)
        return search() if r <= 35 else paths() if r <= 55 else profile() if r <= 85 else me()

    return {"home": home, "profile": profile, "search": search, "paths": paths, "me": me,
            "mixed": mixed, "hostile": hostile}


def measure(app: Any, make: Call, n: int, warmup: int) -> dict[str, Any]:
    environs = [make() for _ in range(n + warmup)]
    for environ in environs[:warmup]:
        call(app, environ)
    cpu, wall, bad = [], [], 0
    for environ in environs[warmup:]:
        c0, w0 = time.thread_time(), time.perf_counter()
        status, _body = call(app, environ)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        bad += not status.startswith("2")
    return {"cpu_median": statistics.median(cpu), "cpu_mean": statistics.fmean(cpu),
            "wall_median": statistics.median(wall), "errors": bad}


def statements(app: Any, make: Call, show: bool = False) -> int:
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = app.extensions["maillon.engine"]
    environ = make()
    call(app, environ)  # warm
    event.listen(engine, "before_cursor_execute", record)
    try:
        call(app, environ)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if show:
        for statement in seen:
            print(" ".join(statement.split())[:400], end="\n\n")
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var-dir", default="/tmp/perf/var")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", default="", help="cProfile this route instead")
    parser.add_argument("--callees", default="",
                        help="with --profile: also what this function (a name) calls")
    parser.add_argument("--sql", default="", help="print the SQL of one request of this route")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    os.environ["MAILLON_VAR_DIR"] = args.var_dir

    from bench.load import appdata
    from bench.load.bare import app as bare_app
    from maillon import create_app
    from maillon.cli import prepare
    from maillon.db import db

    app = create_app()
    with app.app_context():
        prepare()
        data = appdata.prepare(4, 10, 11)
        db.session.commit()
        # What the jobs worker does while `maillon serve` runs: without it the indexing jobs
        # pile up here, and every search reads their payloads (``excluded_ids``).
        from maillon.jobs.services import run_pending

        drained = run_pending(db.session, limit=100_000, kinds=("index_members", "index_threads"))
        if drained:
            print(f"ran {drained} indexing jobs first, as the jobs worker would have")
    rng = random.Random(args.seed)
    made = routes(data, rng)
    if args.sql:
        statements(app, made[args.sql], show=True)
        return
    if args.profile:
        make = made[args.profile]
        environs = [make() for _ in range(args.n + args.warmup)]
        for environ in environs[:args.warmup]:
            call(app, environ)
        profiler = cProfile.Profile()
        profiler.enable()
        for environ in environs[args.warmup:]:
            call(app, environ)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        out2 = io.StringIO()
        pstats.Stats(profiler, stream=out2).sort_stats("tottime").print_stats(30)
        print(out.getvalue()[:14000])
        print(out2.getvalue()[:9000])
        if args.callees:
            out3 = io.StringIO()
            pstats.Stats(profiler, stream=out3).sort_stats("cumulative").print_callees(
                args.callees)
            print(out3.getvalue()[:9000])
        return
    selected = [r for r in (args.only.split(",") if args.only else made)]
    bare = measure(bare_app, lambda: _environ("/"), args.n, args.warmup)
    print(f"load average {os.getloadavg()[0]:.2f}; n={args.n}")
    print(f"{'route':10} {'cpu ms med':>10} {'cpu ms mean':>11} {'wall ms':>8} {'× bare':>7} "
          f"{'stmts':>5} {'errors':>6}")
    print(f"{'bare':10} {bare['cpu_median']:10.3f} {bare['cpu_mean']:11.3f} "
          f"{bare['wall_median']:8.3f} {1:7.3f} {0:5d} {bare['errors']:6d}")
    for name in selected:
        m = measure(app, made[name], args.n, args.warmup)
        count = statements(app, made[name]) if name != "mixed" else -1
        print(f"{name:10} {m['cpu_median']:10.3f} {m['cpu_mean']:11.3f} {m['wall_median']:8.3f} "
              f"{bare['cpu_mean'] / m['cpu_mean']:7.3f} {count:5d} {m['errors']:6d}")


if __name__ == "__main__":
    main()
