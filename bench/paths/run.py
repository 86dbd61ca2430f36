"""Benchmark of the introduction path service: numpy CSR (graphcore + chains) vs pure Python
over networkx, on a synthetic clustered community.

    .venv/bin/python bench/paths/run.py                    # goal size: 100k members, 4M links,
                                                           # ~2 min, 2 GB
    .venv/bin/python bench/paths/run.py --members 30000    # a quick look, ~20 s
    .venv/bin/python bench/paths/run.py --members 1000000 --baseline-pairs 0

Measures: best <= max_hops chain (k=1, then k=3) per random pair; degree badges for a page of 20
results; bytes per connection; graph load time in a fresh process; private vs shared memory of
two forked workers. The baseline runs the same exact algorithm over an nx.Graph (fewer pairs by
default, it is slower) and must find chains of the same probability. Timings are wall-clock on
whatever else the machine is doing: compare columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from baseline import best_chain as py_best_chain  # noqa: E402
from baseline import degree_badges as py_degree_badges  # noqa: E402
from community import generate  # noqa: E402


def pure_modules() -> tuple[types.ModuleType, types.ModuleType]:
    """Import graphcore and chains without running maillon/__init__.py (it builds the Flask
    app): the bench measures the pure modules and must not depend on the web app's state."""
    if "maillon" not in sys.modules:
        package = types.ModuleType("maillon")
        package.__path__ = [str(ROOT / "platform" / "maillon")]
        sys.modules["maillon"] = package
    return (
        importlib.import_module("maillon.network.graphcore"),
        importlib.import_module("maillon.introductions.chains"),
    )


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.asarray(samples_s) * 1000
    if not len(ms):
        return {"p50": math.nan, "p95": math.nan, "max": math.nan, "n": 0}
    return {
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "max": float(ms.max()),
        "n": len(ms),
    }


REPEAT = 1  # set from --repeat


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest of REPEAT calls: keeps each item's own cost, drops other processes' noise."""
    best, result = math.inf, None
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def timed_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def memory_rollup() -> dict[str, int]:
    """kB figures of this process from /proc/self/smaps_rollup."""
    out = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        out[key] = int(value.split()[0])
    return out


def mapping_usage(marker: str) -> dict[str, int]:
    """Rss/Pss/Private/Shared (kB) summed over this process's mappings of files under marker."""
    fields = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")
    totals = dict.fromkeys(fields, 0)
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        first = line.split(maxsplit=1)[0]
        if "-" in first and not first.endswith(":"):
            inside = marker in line
        elif inside and first[:-1] in totals:
            totals[first[:-1]] += int(line.split()[1])
    return {
        "Rss": totals["Rss"],
        "Pss": totals["Pss"],
        "Shared": totals["Shared_Clean"] + totals["Shared_Dirty"],
        "Private": totals["Private_Clean"] + totals["Private_Dirty"],
    }


def in_forked_workers(work: Callable[[], dict[str, Any]], workers: int = 2) -> list[dict]:
    """Run ``work`` in forked children at the same time; collect their JSON reports."""
    children = []
    for _ in range(workers):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(read_fd)
            try:
                report = work()
            except BaseException as exc:  # report, never fall back into the parent's code
                report = {"error": repr(exc)}
            with os.fdopen(write_fd, "w") as pipe:
                json.dump(report, pipe)
            os._exit(0)
        os.close(write_fd)
        children.append((pid, read_fd))
    reports = []
    for pid, read_fd in children:
        with os.fdopen(read_fd) as pipe:
            reports.append(json.loads(pipe.read()))
        os.waitpid(pid, 0)
    return reports


def probe_load(path: str, source: int, target: int) -> None:
    """Entry point of the fresh-process load measurement (prints one JSON line)."""
    start = time.perf_counter()
    graphcore, chains = pure_modules()
    imported = time.perf_counter()
    graph = graphcore.TrustGraph.load(path)
    loaded = time.perf_counter()
    chains.best_chains(graph, source, target, 6, 0.8, k=1)
    queried = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": imported - start,
                "load_s": loaded - imported,
                "first_query_s": queried - loaded,
            }
        )
    )


def measure_fresh_load(path: Path, source: int, target: int, runs: int = 3) -> dict[str, float]:
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--probe-load", str(path), str(source), str(target)],
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(out.stdout.strip().splitlines()[-1])
        report["process_s"] = time.perf_counter() - start
        results.append(report)
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--degree", type=float, default=80.0, help="mean connections per member")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--baseline-pairs", type=int, default=50, help="0 skips the baseline")
    parser.add_argument("--max-hops", type=int, default=6)
    parser.add_argument("--hop-factor", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument(
        "--repeat", type=int, default=3, help="time each query N times, keep the fastest"
    )
    parser.add_argument("--probe-load", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)
    if args.probe_load:
        probe_load(args.probe_load[0], int(args.probe_load[1]), int(args.probe_load[2]))
        return

    graphcore, chains = pure_modules()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="maillon-bench-paths-"))
    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    results: dict[str, Any] = {"members": args.members, "hop_factor": args.hop_factor}

    gen_s, community = timed_once(lambda: generate(args.members, args.degree, args.seed))
    build_s, built = timed_once(
        lambda: graphcore.TrustGraph.from_connections(
            community.a, community.b, community.trust_ab, community.trust_ba, members=community.ids
        )
    )
    path = built.save(workdir / "graph")
    del built
    gc.collect()
    graph = graphcore.TrustGraph.load(path)
    results.update(
        connections=graph.connection_count,
        generate_s=gen_s,
        build_s=build_s,
        bytes_per_connection=graph.nbytes / graph.connection_count,
        graph_mb=graph.nbytes / 2**20,
    )
    say(
        f"{graph.member_count} members, {graph.connection_count} connections, built in "
        f"{build_s:.1f}s, {results['bytes_per_connection']:.1f} B/connection"
    )

    rng = np.random.default_rng(args.seed + 1)
    ids = community.ids
    pairs = [tuple(int(x) for x in rng.choice(ids, 2, replace=False)) for _ in range(args.pairs)]
    by_block: dict[int, np.ndarray] = {}
    order = np.argsort(community.block, kind="stable")
    bounds = np.searchsorted(community.block[order], np.arange(community.block.max() + 2))
    for blk in range(community.block.max() + 1):
        by_block[blk] = ids[order[bounds[blk] : bounds[blk + 1]]]
    pages = []
    for source, _ in pairs:  # a results page: half from the searcher's community, half anywhere
        blk = int(community.block[np.searchsorted(ids, source)])
        local = rng.choice(by_block[blk], 10)
        pages.append((source, [int(x) for x in np.concatenate([local, rng.choice(ids, 10)])]))

    results["load"] = measure_fresh_load(path, *pairs[0])
    say("fresh-process load:", results["load"])

    def run_chains(hop_factor: float, k: int, subset: int | None = None) -> tuple[list, list]:
        times, found = [], []
        for source, target in pairs[:subset]:
            elapsed, chain = timed(
                lambda s=source, t=target: chains.best_chains(
                    graph, s, t, args.max_hops, hop_factor, k=k
                )
            )
            times.append(elapsed)
            found.append(chain)
        return times, found

    run_chains(args.hop_factor, 1, 10)  # warm: page faults of the mapping, workspace
    t_k1, found = run_chains(args.hop_factor, 1)
    t_k3, found_k3 = run_chains(args.hop_factor, 3)
    t_h1, _ = run_chains(1.0, 1, min(args.pairs, 100))
    t_deg = [timed(lambda s=s, p=p: graph.degree_of(s, p))[0] for s, p in pages]
    hops = [c[0].hops for c in found if c]
    results["numpy"] = {
        "chain_k1": percentiles(t_k1),
        "chain_k3": percentiles(t_k3),
        "chain_k1_hop_factor_1": percentiles(t_h1),
        "degree_page20": percentiles(t_deg),
        "unreachable_pairs": sum(1 for c in found if not c),
        "hops_histogram": {str(h): hops.count(h) for h in sorted(set(hops))},
        "mean_alternatives": float(np.mean([len(c) for c in found_k3])),
    }
    say("numpy:", json.dumps(results["numpy"]))

    def worker() -> dict[str, Any]:
        w = graphcore.TrustGraph.load(path)  # each worker maps the files itself
        for (source, target), (s, page) in zip(pairs[:100], pages[:100], strict=True):
            chains.best_chains(w, source, target, args.max_hops, args.hop_factor, k=3)
            w.degree_of(s, page)
        return {"rollup": memory_rollup(), "graph_files": mapping_usage(str(path))}

    results["numpy_workers"] = in_forked_workers(worker)
    say("numpy workers:", results["numpy_workers"])

    if args.baseline_pairs:
        run_baseline(args, graph, community, pairs, pages, found, results)

    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def run_baseline(args, graph, community, pairs, pages, found, results) -> None:  # noqa: ANN001
    """Build the networkx graph, time the pure-Python search, cross-check probabilities."""
    import networkx as nx

    _, chains = pure_modules()
    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    table = chains.link_prob_table()
    weights = -np.log(table)
    rss_before = memory_rollup()["Rss"]

    def build() -> nx.Graph:
        nxg = nx.Graph()
        nxg.add_nodes_from(community.ids.tolist())
        code_lists = ((community.trust_ab - 1) * 5 + (community.trust_ba - 1)).tolist()
        nxg.add_edges_from(
            (a, b, {"w": float(weights[c])})
            for a, b, c in zip(community.a.tolist(), community.b.tolist(), code_lists, strict=True)
        )
        return nxg

    nx_build_s, nxg = timed_once(build)
    # Duplicated pairs in the generator: the CSR kept the last occurrence, networkx too.
    results["networkx_build_s"] = nx_build_s
    results["networkx_rss_mb"] = (memory_rollup()["Rss"] - rss_before) / 1024
    say(f"networkx graph built in {nx_build_s:.1f}s, +{results['networkx_rss_mb']:.0f} MB RSS")
    cheapest_w = float(weights.min())
    n_pairs = min(args.baseline_pairs, len(pairs))
    times, mismatches = [], 0
    for (source, target), chain in zip(pairs[:n_pairs], found[:n_pairs], strict=True):
        elapsed, got = timed(
            lambda s=source, t=target: py_best_chain(
                nxg, s, t, args.max_hops, args.hop_factor, cheapest_w
            )
        )
        times.append(elapsed)
        expected = chain[0].probability if chain else None
        if (got is None) != (expected is None) or (
            got is not None and not math.isclose(got[1], expected, rel_tol=1e-9)
        ):
            mismatches += 1
    t_deg = [timed(lambda s=s, p=p: py_degree_badges(nxg, s, p))[0] for s, p in pages]
    results["baseline"] = {
        "chain_k1": percentiles(times),
        "degree_page20": percentiles(t_deg),
        "probability_mismatches": mismatches,
    }
    say("baseline:", json.dumps(results["baseline"]))

    def worker() -> dict[str, Any]:
        for source, target in pairs[:20]:
            py_best_chain(nxg, source, target, args.max_hops, args.hop_factor, cheapest_w)
        return {"rollup": memory_rollup()}

    # Forked after building (gunicorn --preload): refcount writes dirty the shared pages.
    results["baseline_workers"] = in_forked_workers(worker)


def print_table(results: dict[str, Any], args: argparse.Namespace) -> None:
    np_r, base = results["numpy"], results.get("baseline")

    def row(name: str, ours: float, theirs: float | None, goal: str, unit: str = "ms") -> str:
        ratio = f"{theirs / ours:.1f}x" if theirs and ours else "-"
        other = f"{theirs:.2f} {unit}" if theirs is not None else "-"
        return f"| {name} | {ours:.2f} {unit} | {other} | {ratio} | {goal} |"

    def b(key: str, stat: str) -> float | None:
        return base[key][stat] if base else None

    workers = results["numpy_workers"]
    private = max(w["rollup"]["Private_Clean"] + w["rollup"]["Private_Dirty"] for w in workers)
    shared = max(w["rollup"]["Shared_Clean"] + w["rollup"]["Shared_Dirty"] for w in workers)
    graph_shared = max(w["graph_files"]["Shared"] for w in workers)
    graph_private = max(w["graph_files"]["Private"] for w in workers)
    base_private = None
    if base:
        base_private = (
            max(
                w["rollup"]["Private_Clean"] + w["rollup"]["Private_Dirty"]
                for w in results["baseline_workers"]
            )
            / 1024
        )
    lines = [
        f"members {results['members']:,}, connections {results['connections']:,}, "
        f"max_hops {args.max_hops}, hop_factor {args.hop_factor}, best of {REPEAT} per query, "
        f"pairs {np_r['chain_k1']['n']}"
        f" (baseline {b('chain_k1', 'n') or 0}), "
        f"unreachable {np_r['unreachable_pairs']}, hops {np_r['hops_histogram']}",
        "",
        "| metric | numpy CSR | networkx (pure Python) | ratio | goal |",
        "| --- | --- | --- | --- | --- |",
        row("best chain p50", np_r["chain_k1"]["p50"], b("chain_k1", "p50"), "<= 3 ms"),
        row("best chain p95", np_r["chain_k1"]["p95"], b("chain_k1", "p95"), "<= 15 ms"),
        row("best chain max", np_r["chain_k1"]["max"], b("chain_k1", "max"), ""),
        row("3 alternatives p50", np_r["chain_k3"]["p50"], None, ""),
        row("3 alternatives p95", np_r["chain_k3"]["p95"], None, ""),
        row("best chain, hop_factor 1, p50", np_r["chain_k1_hop_factor_1"]["p50"], None, ""),
        row("best chain, hop_factor 1, p95", np_r["chain_k1_hop_factor_1"]["p95"], None, ""),
        row(
            "degree badges x20 p50",
            np_r["degree_page20"]["p50"],
            b("degree_page20", "p50"),
            "<= 1 ms",
        ),
        row(
            "degree badges x20 p95",
            np_r["degree_page20"]["p95"],
            b("degree_page20", "p95"),
            "<= 1 ms",
        ),
        row("bytes per connection (shared)", results["bytes_per_connection"], None, "<= 20", "B"),
        row("load in a fresh process", results["load"]["load_s"] * 1000, None, "<= 1 s"),
        row("first query after load", results["load"]["first_query_s"] * 1000, None, ""),
        row(
            "graph build (in memory)",
            results["build_s"] * 1000,
            results.get("networkx_build_s", 0) * 1000 or None,
            "",
            "ms",
        ),
        row("private memory per worker", private / 1024, base_private, "", "MB"),
        row("shared memory per worker", shared / 1024, None, "", "MB"),
        row("graph file pages: shared", graph_shared / 1024, None, "", "MB"),
        row("graph file pages: private", graph_private / 1024, None, "", "MB"),
    ]
    if base:
        lines.append(
            f"\nbaseline probability mismatches: {base['probability_mismatches']}; "
            f"networkx graph RSS +{results['networkx_rss_mb']:.0f} MB"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
