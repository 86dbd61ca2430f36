"""An organisation's reach and its best starting points towards someone: graph in, numbers out
(pure: numpy and the graph, no app, no database).

Reach is a breadth-first spread over the in-memory ``TrustGraph`` from the organisation's
people: level 1 are they, level 2 the distinct people outside them they are connected to,
level 3 the distinct people connected to level 2 and in neither. Each level is one vectorised
gather (``TrustGraph.expand``) of the previous one, so 1,000 members with 50 contacts each in a
100k-member graph cost two gathers of 50k and about 2.5M entries (bench/organisations).

``best_starts`` answers "who among us can introduce us to X": one search backwards from the
target(s) instead of one chain search per member. It is the hop-layered Bellman-Ford recursion
of ``introductions.chains`` (exact on non-negative link costs: layer h holds the cheapest way to
reach a target in at most h links), run from the targets over the whole neighbourhood at once,
with every label that cannot enter the top ``k`` pruned: costs are non-negative, so a label
already as dear as the k-th best starting point found cannot lead to a better one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maillon.network.graphcore import TrustGraph

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Levels:
    """Member ids of each reach level (level 1 only those the graph knows)."""

    first: IntArray
    second: IntArray
    third: IntArray


def _mask(graph: TrustGraph, member_ids: npt.ArrayLike) -> np.ndarray:
    mask = np.zeros(graph.node_count, dtype=bool)
    idx = graph.index_of(np.asarray(member_ids, dtype=np.int64))
    mask[idx[idx >= 0]] = True
    return mask


def reach_levels(
    graph: TrustGraph,
    members: npt.ArrayLike,
    *,
    closed: npt.ArrayLike = (),
    absent: npt.ArrayLike = (),
) -> Levels:
    """The three levels of reach from ``members``.

    ``closed`` members are counted where they stand but not spread through (their contacts
    are their own business: a list hidden from everybody); ``absent`` ones are neither
    counted nor spread through (suspended, deleted), as if they were not in the graph.
    """
    member_arr = np.unique(np.asarray(members, dtype=np.int64))
    idx = graph.index_of(member_arr)
    first = idx[idx >= 0]
    seen = _mask(graph, absent)
    shut = _mask(graph, closed)
    first = first[~seen[first]]
    seen[first] = True
    levels = [first]
    frontier = first
    for _ in range(2):
        spread = frontier[~shut[frontier]]
        if len(spread):
            _, nbrs, _ = graph.expand(spread)
            fresh = nbrs[~seen[nbrs]]
            reached = np.flatnonzero(np.bincount(fresh, minlength=graph.node_count))
        else:
            reached = np.zeros(0, dtype=np.int64)
        seen[reached] = True
        levels.append(reached)
        frontier = reached
    return Levels(*(np.sort(graph.id_of(level)) for level in levels))


@dataclass(frozen=True)
class Start:
    """A starting point: a member, the fewest-cost chain's links to a target, and its cost."""

    member_id: int
    hops: int
    cost: float


def best_starts(
    graph: TrustGraph,
    targets: npt.ArrayLike,
    starts: npt.ArrayLike,
    *,
    max_hops: int,
    level_cost: np.ndarray,
    viewer: int | None = None,
    viewer_cost: np.ndarray | None = None,
    blocked: npt.ArrayLike = (),
    k: int = 10,
) -> list[Start]:
    """The ``k`` members of ``starts`` from whom a target is reached at least cost.

    Link costs are looked up by trust code (``graphcore.encode_trust``): ``level_cost`` for
    every link, except the links of ``viewer``, which cost ``viewer_cost`` of the code as seen
    from the viewer's row (so the viewer's own rating, never their contact's, can count).
    ``blocked`` members are never relays (they may still be starting points or targets).
    A start that is itself a target costs 0 with 0 hops. Sorted by cost, then fewer links,
    then member id.
    """
    if not 1 <= max_hops <= 6:
        raise ValueError("max_hops must be between 1 and 6")
    if k < 1:
        raise ValueError("k must be at least 1")
    n = graph.node_count
    t_idx = graph.index_of(np.asarray(targets, dtype=np.int64))
    t_idx = np.unique(t_idx[t_idx >= 0])
    s_ids = np.unique(np.asarray(starts, dtype=np.int64))
    s_idx = graph.index_of(s_ids)
    s_ids, s_idx = s_ids[s_idx >= 0], s_idx[s_idx >= 0]
    if not len(t_idx) or not len(s_idx):
        return []
    is_start = np.zeros(n, dtype=bool)
    is_start[s_idx] = True
    relay_ok = ~_mask(graph, blocked)
    v_idx = -1 if viewer is None else int(graph.index_of([viewer])[0])
    own = viewer_cost if viewer_cost is not None else level_cost
    transposed = np.asarray([(c % 5) * 5 + c // 5 for c in range(25)], dtype=np.int64)
    dist = np.full(n, np.inf)
    hops = np.zeros(n, dtype=np.int64)
    dist[t_idx] = 0.0
    frontier = t_idx
    bound = math.inf

    def kth_best() -> float:
        found = dist[s_idx]
        found = found[np.isfinite(found)]
        if len(found) < k:
            return math.inf
        return float(np.partition(found, k - 1)[k - 1])

    bound = kth_best()
    for layer in range(1, max_hops + 1):
        frontier = frontier[relay_ok[frontier] | (dist[frontier] == 0.0)]
        if not len(frontier):
            break
        owner, nbr, code = graph.expand(frontier)
        nbr = nbr.astype(np.int64)
        code = code.astype(np.int64)
        cost = level_cost[code]
        if v_idx >= 0:
            mine = frontier[owner] == v_idx
            cost[mine] = own[code[mine]]
            theirs = nbr == v_idx
            cost[theirs] = own[transposed[code[theirs]]]
        cand = dist[frontier][owner] + cost
        keep = (cand < dist[nbr]) & (cand < bound)
        nbr, cand = nbr[keep], cand[keep]
        if not len(nbr):
            break
        np.minimum.at(dist, nbr, cand)
        improved = np.unique(nbr[cand == dist[nbr]])
        hops[improved] = layer
        bound = kth_best()
        # Only what may still relay spreads, and nothing dearer than the k-th best found.
        frontier = improved[relay_ok[improved] & (dist[improved] < bound)]
    found = np.flatnonzero(np.isfinite(dist[s_idx]))
    ranked = sorted(
        ((float(dist[s_idx[i]]), int(hops[s_idx[i]]), int(s_ids[i])) for i in found),
        key=lambda item: item,
    )
    return [Start(member_id=m, hops=h, cost=c) for c, h, m in ranked[:k]]
