"""The baseline: the same exact, pruned, two-ended hop-layered search in pure Python over an
``nx.Graph`` (edge attribute ``w`` = -log(link probability)), and BFS degree badges.

It is the natural first implementation (networkx is mandated; dict-of-dicts adjacency) and a
correctness cross-check: the bench asserts both searches find chains of equal probability.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

import networkx as nx


def best_chain(
    graph: nx.Graph,
    source: int,
    target: int,
    max_hops: int,
    hop_factor: float,
    cheapest_w: float,
    avoid: Collection[int] = frozenset(),
) -> tuple[list[int], float] | None:
    """(nodes, probability) of the best chain, or None; same semantics as chains.best_chains."""
    relay = -math.log(hop_factor)
    cheapest = cheapest_w + relay
    adj = graph.adj
    sides = []
    for origin, end in ((source, target), (target, source)):
        sides.append({"dist": {origin: 0.0}, "layers": [{origin: None}], "end": end})
    fwd, bwd = sides
    frontiers = [{source: 0.0}, {target: 0.0}]
    best, meet = math.inf, None
    hops = [0, 0]
    while hops[0] + hops[1] < max_hops:
        if best < math.inf:
            for i in (0, 1):
                other = sides[1 - i]["dist"]
                bound = (hops[1 - i] + 1) * cheapest
                kept = {}
                for v, c in frontiers[i].items():
                    if c + min(other.get(v, math.inf), bound) < best:
                        kept[v] = c
                frontiers[i] = kept
        if not frontiers[0] and not frontiers[1]:
            break
        work = [sum(len(adj[v]) for v in fr) if fr else math.inf for fr in frontiers]
        i = 0 if work[0] <= work[1] else 1
        side, other = sides[i], sides[1 - i]
        dist, odist, end = side["dist"], other["dist"], side["end"]
        last = hops[0] + hops[1] + 1 == max_hops
        bound = (hops[1 - i] + 1) * cheapest
        layer: dict[int, int] = {}
        improved: dict[int, float] = {}
        for u, cu in frontiers[i].items():
            for v, data in adj[u].items():
                if v in avoid and v != end:
                    continue
                c = cu + data["w"] + relay
                if c >= dist.get(v, math.inf):
                    continue
                ov = odist.get(v, math.inf)
                if c + (ov if last else min(ov, bound)) >= best:
                    continue
                dist[v] = c
                layer[v] = u
                improved[v] = c
        side["layers"].append(layer)
        hops[i] += 1
        for v, c in improved.items():
            total = c + odist.get(v, math.inf)
            if total < best:
                best, meet = total, (v, i, hops[i], _depth(other["layers"], v))
        frontiers[i] = {v: c for v, c in improved.items() if v != end}
    if meet is None:
        return None
    v, i, d_side, d_other = meet
    d_f, d_b = (d_side, d_other) if i == 0 else (d_other, d_side)
    path = _trace(fwd["layers"], v, d_f) + _trace(bwd["layers"], v, d_b)[::-1][1:]
    probability = math.exp(-sum(graph[a][b]["w"] for a, b in zip(path, path[1:], strict=False)))
    return path, probability * hop_factor ** (len(path) - 2)


def _depth(layers: list[dict[int, int | None]], v: int) -> int:
    for depth in range(len(layers) - 1, -1, -1):
        if v in layers[depth]:
            return depth
    raise LookupError(v)


def _trace(layers: list[dict[int, int | None]], v: int, depth: int) -> list[int]:
    path = [v]
    while depth > 0:
        parent = layers[depth][v]
        assert parent is not None
        v = parent
        depth -= 1
        path.append(v)
    return path[::-1]


def degree_badges(graph: nx.Graph, source: int, targets: Iterable[int]) -> dict[int, int | None]:
    """Distance 1..3 or None: the same set-intersection idea as graphcore, with Python sets."""
    adj = graph.adj
    n1 = set(adj[source])
    n2: set[int] = set()
    for u in n1:
        n2.update(adj[u])
    badges: dict[int, int | None] = {}
    for t in targets:
        if t == source or t not in adj:
            badges[t] = None
        elif t in n1:
            badges[t] = 1
        elif any(x in n1 for x in adj[t]):
            badges[t] = 2
        elif any(x in n2 for x in adj[t]):
            badges[t] = 3
        else:
            badges[t] = None
    return badges
