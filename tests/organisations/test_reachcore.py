"""Reach levels and best starting points against brute force over random graphs.

The oracles own their rules: reach is counted with plain Python sets over the edge list (never
the graph object), and the best starting point enumerates every simple path with networkx,
scoring it with its own restatement of the link costs.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.network.graphcore import Change, TrustGraph
from maillon.organisations.reachcore import best_starts, reach_levels

FAST = settings(max_examples=200, derandomize=True, deadline=None, database=None)


def member_id(i: int) -> int:
    """Sparse ids: an index/id mix-up cannot pass unnoticed."""
    return 500 + 41 * i


@st.composite
def worlds(draw: st.DrawFn, max_nodes: int = 12):
    n = draw(st.integers(2, max_nodes))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    present = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    edges = [p for p, keep in zip(pairs, present, strict=True) if keep]
    trust = draw(
        st.lists(
            st.tuples(st.integers(1, 5), st.integers(1, 5)),
            min_size=len(edges),
            max_size=len(edges),
        )
    )
    ids = [member_id(i) for i in range(n)]
    # Some members exist only in the overlay (joined after the snapshot): both paths count.
    split = draw(st.integers(0, len(edges)))
    graph = TrustGraph.from_connections(
        [ids[a] for a, _ in edges[:split]],
        [ids[b] for _, b in edges[:split]],
        [t[0] for t in trust[:split]],
        [t[1] for t in trust[:split]],
    )
    graph.apply(
        Change(k + 1, "add", ids[a], ids[b], t[0], t[1])
        for k, ((a, b), t) in enumerate(zip(edges[split:], trust[split:], strict=True))
    )
    edge_list = [(ids[a], ids[b], t[0], t[1]) for (a, b), t in zip(edges, trust, strict=True)]
    subset = st.lists(st.sampled_from(ids), unique=True, max_size=n)
    return graph, ids, edge_list, draw(subset), draw(subset), draw(subset)


def oracle_levels(edges, members, closed, absent):
    adjacency: dict[int, set[int]] = {}
    for a, b, _, _ in edges:
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    first = {m for m in members if m in adjacency and m not in absent}
    second = (
        {n for m in first if m not in closed for n in adjacency.get(m, ())} - first - set(absent)
    )
    third = (
        {n for m in second if m not in closed for n in adjacency.get(m, ())}
        - first
        - second
        - set(absent)
    )
    return first, second, third


@FAST
@given(worlds())
def test_reach_levels_equal_a_brute_force_count(world) -> None:
    graph, _ids, edges, members, closed, absent = world
    levels = reach_levels(graph, members, closed=closed, absent=absent)
    first, second, third = oracle_levels(edges, members, set(closed), set(absent))
    assert set(levels.first.tolist()) == first
    assert set(levels.second.tolist()) == second
    assert set(levels.third.tolist()) == third
    assert len(levels.second) == len(second) and len(levels.third) == len(third)


# Costs by trust code (given * 5 + received, ratings 0-based): the oracle restates them.
LEVEL = np.array([0.1 + 0.07 * ((c // 5) + (c % 5)) for c in range(25)])
OWN = np.array([0.05 + 0.2 * (c // 5) for c in range(25)])  # the viewer's own rating only


def oracle_best(edges, targets, starts, max_hops, viewer, blocked):
    """Every simple path start → target of at most max_hops links with no blocked relay."""
    g = nx.Graph()
    for a, b, tab, tba in edges:
        g.add_edge(a, b, trust={a: tab, b: tba})

    def cost(u, v):
        trust = g[u][v]["trust"]
        if viewer in (u, v):
            other = v if u == viewer else u
            return 0.05 + 0.2 * (trust[viewer] - 1) + 0 * trust[other]
        return 0.1 + 0.07 * ((trust[u] - 1) + (trust[v] - 1))

    best: dict[int, float] = {}
    for s in starts:
        if s not in g:
            continue
        if s in targets:
            best[s] = 0.0
            continue
        for t in targets:
            if t not in g:
                continue
            for path in nx.all_simple_paths(g, s, t, cutoff=max_hops):
                if any(p in blocked for p in path[1:-1]) or any(p in targets for p in path[1:-1]):
                    continue
                c = sum(cost(u, v) for u, v in zip(path, path[1:], strict=False))
                best[s] = min(best.get(s, math.inf), c)
    return best


@FAST
@given(worlds(max_nodes=8), st.integers(1, 4), st.integers(1, 5), st.data())
def test_best_starts_equal_every_simple_path(world, max_hops, k, data) -> None:
    graph, ids, edges, starts, targets, blocked = world
    targets = targets[:2] or [ids[-1]]
    viewer = data.draw(st.sampled_from(ids))
    found = best_starts(
        graph,
        targets,
        starts,
        max_hops=max_hops,
        level_cost=LEVEL,
        viewer=viewer,
        viewer_cost=OWN,
        blocked=blocked,
        k=k,
    )
    expected = oracle_best(edges, set(targets), starts, max_hops, viewer, set(blocked))
    ranked = sorted(expected.values())[:k]
    assert [round(s.cost, 9) for s in found] == [round(c, 9) for c in ranked]
    for start in found:
        assert math.isclose(start.cost, expected[start.member_id], abs_tol=1e-9)
        assert start.hops <= max_hops
