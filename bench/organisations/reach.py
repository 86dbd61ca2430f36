"""Benchmark of an organisation's reach: the graph service (numpy CSR, ``reachcore``) against a
pure Python count over networkx, on the synthetic clustered community of bench/paths.

    .venv/bin/python bench/organisations/reach.py                  # 100k members, ~50 links
                                                                   # each, an organisation of
                                                                   # 1,000; ~1 min, ~2 GB
    .venv/bin/python bench/organisations/reach.py --members 20000  # a quick look

Measures, per organisation (several drawn, each timed ``--repeat`` times, median reported):
the three reach levels (``reach_levels``) and the best starting points towards a member
(``best_starts``, the "who among us" search), then the same reach counted with sets over an
``nx.Graph`` (the natural first implementation), which must give the same numbers. Goal:
reach ≤ 200 ms. Timings are wall-clock on whatever else the machine runs: compare the columns
of one run, not runs.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "paths"))

from community import generate  # noqa: E402


def pure(module: str) -> types.ModuleType:
    """Import a pure module of maillon without running the package's app imports."""
    for name in ("maillon", "maillon.network", "maillon.organisations"):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(ROOT / "platform" / Path(*name.split(".")))]
            sys.modules[name] = package
    return importlib.import_module(module)


def median_ms(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def organisation(community, size: int, rng: np.random.Generator) -> np.ndarray:
    """Members of a few neighbouring blocks (teams of one employer), plus some scattered."""
    blocks = community.block
    first = rng.integers(0, int(blocks.max()) - 5)
    near = np.flatnonzero((blocks >= first) & (blocks < first + 5))
    inside = rng.choice(near, size=min(len(near), int(size * 0.8)), replace=False)
    scattered = rng.choice(len(community.ids), size=size - len(inside), replace=False)
    return np.unique(community.ids[np.concatenate([inside, scattered])])[:size]


def nx_reach(graph, members) -> tuple[int, int]:
    adj = graph.adj
    first = {m for m in members if m in adj}
    second: set[int] = set()
    for m in first:
        second.update(adj[m])
    second -= first
    third: set[int] = set()
    for m in second:
        third.update(adj[m])
    third -= first
    third -= second
    return len(second), len(third)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--degree", type=float, default=50.0)
    parser.add_argument("--org-size", type=int, default=1_000)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    graphcore = pure("maillon.network.graphcore")
    reachcore = pure("maillon.organisations.reachcore")

    started = time.perf_counter()
    community = generate(args.members, mean_degree=args.degree)
    graph = graphcore.TrustGraph.from_connections(
        community.a, community.b, community.trust_ab, community.trust_ba, members=community.ids
    )
    links = graph.connection_count
    print(
        f"community: {args.members:,} members, {links:,} links "
        f"(mean degree {2 * links / args.members:.1f}), built in "
        f"{time.perf_counter() - started:.1f} s"
    )

    nxg = None
    if not args.no_baseline:
        import networkx as nx

        started = time.perf_counter()
        nxg = nx.Graph()
        nxg.add_nodes_from(community.ids.tolist())
        nxg.add_edges_from(zip(community.a.tolist(), community.b.tolist(), strict=True))
        print(f"networkx graph built in {time.perf_counter() - started:.1f} s")

    rng = np.random.default_rng(7)
    # Link costs by trust code, as introducers.py derives them (level bands, relay factor 0.8).
    sums = np.arange(25) // 5 + np.arange(25) % 5 + 2
    mean = np.select([sums <= 4, sums <= 7], [1.5, 3.0], 4.5)
    level_cost = -np.log((0.5 + 0.45 * (mean - 1) / 4) * 0.8)
    print(f"\norganisations of {args.org_size:,} members, median of {args.repeat} runs each\n")
    header = (
        f"{'org':>3}  {'2nd degree':>10}  {'3rd degree':>10}  {'reach (numpy)':>13}  "
        f"{'reach (networkx)':>16}  {'ratio':>6}  {'who among us':>12}"
    )
    print(header)
    print("-" * len(header))
    ours_all, theirs_all, starts_all = [], [], []
    for n in range(args.orgs):
        members = organisation(community, args.org_size, rng)
        ours, levels = median_ms(lambda m=members: reachcore.reach_levels(graph, m), args.repeat)
        target = int(rng.choice(community.ids))
        took, _ = median_ms(
            lambda m=members, t=target: reachcore.best_starts(
                graph, [t], m, max_hops=6, level_cost=level_cost, k=10
            ),
            args.repeat,
        )
        starts_all.append(took)
        ours_all.append(ours)
        theirs_text, ratio = "-", "-"
        if nxg is not None:
            theirs, counts = median_ms(
                lambda m=members: nx_reach(nxg, m.tolist()), max(1, args.repeat // 2)
            )
            assert counts == (len(levels.second), len(levels.third)), (counts, levels)
            theirs_all.append(theirs)
            theirs_text, ratio = f"{theirs:.1f} ms", f"{theirs / ours:.1f}x"
        print(
            f"{n + 1:>3}  {len(levels.second):>10,}  {len(levels.third):>10,}  "
            f"{ours:>10.1f} ms  {theirs_text:>16}  {ratio:>6}  {took:>9.1f} ms"
        )
    print()
    print(
        f"reach, median over organisations: {statistics.median(ours_all):.1f} ms "
        f"(goal ≤ 200 ms)"
        + (f"; networkx {statistics.median(theirs_all):.1f} ms" if theirs_all else "")
    )
    print(
        f"who among us (best starts to one member, ≤ 6 links, top 10): "
        f"{statistics.median(starts_all):.1f} ms"
    )


if __name__ == "__main__":
    main()
