"""Chains of trusted contacts: graph in, paths out (pure: no app, no database).

A chain ``s -> m1 -> ... -> t`` succeeds if every link carries the request and every
intermediary decides to forward it at all. Its expected success is therefore

    P(chain) = prod over links (u -> v) of link_prob(u rates v, v rates u)
               * hop_factor ** (number of intermediaries)

The hop factor applies once per *intermediary* (a relay), not per link: the requester always
sends and the target is not relaying, so a direct connection (1 link, no intermediary) scores
just its link probability. The default ``link_prob`` maps the mean of both private ratings
linearly from 1..5 to 0.50..0.95 (``default_link_prob``); both sides' trust matters, since the
forwarder must vouch and the receiver must take the forwarder's word.

``best_chains`` is exact: the first chain is a maximum-probability simple path with at most
``max_hops`` links whose intermediaries avoid ``avoid``. It works in log space, where
maximising a product of factors <= 1 is minimising a sum of non-negative link costs
``-log(link_prob * hop_factor)`` (the total is off by one constant ``-log(hop_factor)`` for every
chain, which does not change the ranking). Because costs are non-negative, dropping a cycle
never makes a walk worse or longer, so the best walk of at most H links has the same value as
the best simple path, and the hop-layered Bellman-Ford recursion is exact. It runs from both
ends at once (meet in the middle: at most ceil(H/2) + floor(H/2) layers), always growing the side
whose frontier has fewer edges, and prunes every label that cannot beat the best chain found so
far: a label at ``v`` with cost ``c`` is dropped when ``c + LB(v) >= best``, where ``LB(v)`` is
the other side's best cost to ``v`` within its current depth ``d``, or ``(d + 1) * cheapest
link`` when a longer route might be cheaper. Alternatives are greedy: the best chain, then the
best that shares no intermediary with the chains already chosen (and not the direct link once
it was used), and so on.

``source_link_prob`` scores the links at the source with a policy of their own (the other links
keep ``link_prob``): routing uses it so that a member's chains count only that member's own
rating on their link, never their contact's rating of them. Each link still has one fixed,
non-negative cost whichever side of the search reaches it, so the search stays exact.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from maillon.network.graphcore import (
    CODE_COUNT,
    TRUST_LEVELS,
    TRUST_MIN,
    TrustGraph,
    decode_trust,
    transpose_code,
)

#: The policy cap on chain length (links), whatever an instance configures.
MAX_HOPS_LIMIT = 6

LinkProb = Callable[[np.ndarray, np.ndarray], np.ndarray]


def default_link_prob(trust_ab: np.ndarray, trust_ba: np.ndarray) -> np.ndarray:
    """Chance that a link carries a request: mean of both ratings, 1..5 -> 0.50..0.95.

    Never 0 (a distrusted contact may still forward) and never 1 (nothing relayed by people
    is certain); the 0.95 ceiling also bounds how cheap a link can be, which keeps the search's
    pruning effective.
    """
    mean = (np.asarray(trust_ab, dtype=np.float64) + np.asarray(trust_ba, dtype=np.float64)) / 2
    return 0.5 + 0.45 * (mean - TRUST_MIN) / (TRUST_LEVELS - 1)


@lru_cache(maxsize=32)
def link_prob_table(link_prob: LinkProb = default_link_prob) -> np.ndarray:
    """Probability for each of the 25 trust codes (``graphcore.encode_trust``), validated.

    Indexed by the code of the link as seen from the forwarder's row: ``(forwarder rates
    next - 1) * 5 + (next rates forwarder - 1)``.
    """
    given, received = decode_trust(np.arange(CODE_COUNT))
    table = np.asarray(link_prob(given, received), dtype=np.float64).reshape(CODE_COUNT)
    if not np.all((table > 0) & (table <= 1)):
        raise ValueError("link_prob must return probabilities in (0, 1]")
    table.setflags(write=False)
    return table


@dataclass(frozen=True, slots=True)
class Chain:
    """A chain of members from requester to target (both included) and its success chance."""

    nodes: tuple[int, ...]
    probability: float

    @property
    def hops(self) -> int:
        """Number of links."""
        return len(self.nodes) - 1

    @property
    def intermediaries(self) -> tuple[int, ...]:
        """The relays, in order (empty for a direct connection)."""
        return self.nodes[1:-1]


def chain_probability(
    graph: TrustGraph,
    nodes: Sequence[int],
    hop_factor: float,
    link_prob: LinkProb = default_link_prob,
    source_link_prob: LinkProb | None = None,
) -> float:
    """Expected success of the chain through member ids ``nodes`` (0.0 if a link is missing).

    Useful to re-score a chain already shown (ratings change while a request travels).
    ``source_link_prob``, when given, scores the first link (as in ``best_chains``).
    """
    table = link_prob_table(link_prob)
    first = link_prob_table(source_link_prob) if source_link_prob is not None else table
    probability = 1.0
    for i, (u, v) in enumerate(zip(nodes, nodes[1:], strict=False)):
        trust = graph.trust_between(u, v)
        if trust is None:
            return 0.0
        code = (trust[0] - TRUST_MIN) * TRUST_LEVELS + (trust[1] - TRUST_MIN)
        probability *= float((first if i == 0 else table)[code])
    return probability * hop_factor ** max(len(nodes) - 2, 0)


def best_chains(
    graph: TrustGraph,
    source: int,
    target: int,
    max_hops: int,
    hop_factor: float,
    k: int = 3,
    avoid: Collection[int] = frozenset(),
    link_prob: LinkProb = default_link_prob,
    source_link_prob: LinkProb | None = None,
) -> list[Chain]:
    """Up to ``k`` chains from ``source`` to ``target`` (member ids), best first.

    The first is the exact maximum-probability simple path of at most ``max_hops`` links whose
    intermediaries are not in ``avoid`` (busy, not relaying, suspended, or who declined this
    request); each next one shares no intermediary with the previous ones. Empty when no chain
    exists or either end is unknown to the graph. Links at ``source`` are scored with
    ``source_link_prob`` when given, every other link with ``link_prob``.
    """
    if not 1 <= max_hops <= MAX_HOPS_LIMIT:
        raise ValueError(f"max_hops must be between 1 and {MAX_HOPS_LIMIT}")
    if not 0 < hop_factor <= 1:
        raise ValueError("hop_factor must be in (0, 1]")
    if k < 1:
        raise ValueError("k must be at least 1")
    if source == target:
        raise ValueError("source and target must differ")
    s, t = (int(x) for x in graph.index_of([source, target]))
    if s < 0 or t < 0:
        return []
    cost_f, cost_b, cheapest = _cost_tables(link_prob, float(hop_factor))
    at_source: tuple[np.ndarray, np.ndarray] | None = None
    if source_link_prob is not None:
        src_f, src_b, src_cheapest = _cost_tables(source_link_prob, float(hop_factor))
        at_source = (src_f, src_b)
        cheapest = min(cheapest, src_cheapest)  # the pruning bound must hold for every link
    ws = _workspace(graph.node_count)
    blocked_idx = graph.index_of(list(avoid)) if avoid else np.zeros(0, dtype=np.int64)
    blocked_idx = blocked_idx[(blocked_idx >= 0) & (blocked_idx != s) & (blocked_idx != t)]
    chains: list[Chain] = []
    try:
        ws.blocked[blocked_idx] = True
        forbid_direct = False
        for _ in range(k):
            path = _search(graph, s, t, max_hops, cost_f, cost_b, cheapest, forbid_direct, ws,
                           at_source)
            if path is None:
                break
            ids = tuple(int(x) for x in graph.id_of(path))
            chains.append(Chain(ids, chain_probability(graph, ids, hop_factor, link_prob,
                                                       source_link_prob)))
            if len(path) == 2:
                forbid_direct = True
            inner = np.asarray(path[1:-1], dtype=np.int64)
            ws.blocked[inner] = True
            blocked_idx = np.concatenate([blocked_idx, inner])
    finally:
        ws.blocked[blocked_idx] = False
    return chains


# ---------------------------------------------------------------------- internals


@lru_cache(maxsize=64)
def _cost_tables(link_prob: LinkProb, hop_factor: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-code link costs for both search directions and the cheapest link cost.

    Forward, a row entry (u -> neighbour v) is the link u -> v as stored; backward, the search
    stands on v and looks at u, so the stored code must be transposed to read "u rates v".
    """
    forward = -np.log(link_prob_table(link_prob) * hop_factor)
    forward = np.maximum(forward, 0.0)  # p * h == 1 must cost 0, not -0.0 or -1e-17
    backward = forward[transpose_code(np.arange(CODE_COUNT))]
    forward.setflags(write=False)
    backward.setflags(write=False)
    return forward, backward, float(forward.min())


class _Workspace:
    """Per-thread dense scratch arrays, reused across searches to avoid O(n) allocations.

    Every search resets exactly the entries it touched, so the arrays are clean between calls.
    About 21 bytes per member (private to the process), e.g. 2 MB at 100k members.
    """

    def __init__(self, n: int) -> None:
        self.size = n
        self.dist_f = np.full(n, np.inf)
        self.dist_b = np.full(n, np.inf)
        self.slot = np.zeros(n, dtype=np.int32)
        self.blocked = np.zeros(n, dtype=bool)


_local = threading.local()


def _workspace(n: int) -> _Workspace:
    ws: _Workspace | None = getattr(_local, "ws", None)
    if ws is None or ws.size < n:
        ws = _Workspace(max(n, 1024))
        _local.ws = ws
    return ws


class _Side:
    """One end of the bidirectional search: its distances, layers and frontier."""

    __slots__ = ("dist", "cost", "source_cost", "source", "origin", "end", "layers", "frontier",
                 "hops")

    def __init__(self, dist: np.ndarray, cost: np.ndarray, origin: int, end: int,
                 source_cost: np.ndarray | None = None, source: int = -1) -> None:
        self.dist = dist
        self.cost = cost
        # Links at the chain's source (``source``: an index) cost ``source_cost`` instead.
        self.source_cost = source_cost
        self.source = source
        self.origin = origin
        self.end = end  # the other end: a label there closes a chain but is never expanded
        dist[origin] = 0.0
        start = np.array([origin], dtype=np.int64)
        # layers[d] = (nodes improved at depth d, their parent at depth d - 1)
        self.layers: list[tuple[np.ndarray, np.ndarray]] = [(start, np.array([-1]))]
        self.frontier = start
        self.hops = 0

    def depth_of(self, node: int) -> int:
        """The depth whose layer set this node's current distance (its latest layer)."""
        for depth in range(self.hops, -1, -1):
            if np.any(self.layers[depth][0] == node):
                return depth
        raise LookupError(node)

    def trace(self, node: int, depth: int) -> list[int]:
        """Nodes from the origin to ``node`` following the parents recorded per layer."""
        path = [node]
        while depth > 0:
            nodes, parents = self.layers[depth]
            node = int(parents[np.flatnonzero(nodes == node)[0]])
            depth -= 1
            path.append(node)
        path.reverse()
        return path


def _lower_bound(other: _Side, nodes: np.ndarray, cheapest: float, last: bool) -> np.ndarray:
    """Least cost from ``nodes`` to the other end: exact within the other side's depth,
    else at least one more link per missing layer. On the last layer nothing longer fits."""
    known = other.dist[nodes]
    if last:
        return known
    return np.minimum(known, (other.hops + 1) * cheapest)


def _search(
    graph: TrustGraph,
    s: int,
    t: int,
    max_hops: int,
    cost_f: np.ndarray,
    cost_b: np.ndarray,
    cheapest: float,
    forbid_direct: bool,
    ws: _Workspace,
    at_source: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[int] | None:
    """Node indices of a best chain s..t (see the module docstring), or None."""
    src_f, src_b = at_source if at_source is not None else (None, None)
    fwd = _Side(ws.dist_f, cost_f, s, t, src_f, s)
    bwd = _Side(ws.dist_b, cost_b, t, s, src_b, s)
    best = math.inf
    meet: tuple[int, int, int] | None = None  # (node, forward depth, backward depth)
    try:
        while fwd.hops + bwd.hops < max_hops:
            if best < math.inf:
                for side, other in ((fwd, bwd), (bwd, fwd)):
                    fr = side.frontier
                    if len(fr):
                        bound = _lower_bound(other, fr, cheapest, last=False)
                        side.frontier = fr[side.dist[fr] + bound < best]
            if not len(fwd.frontier) and not len(bwd.frontier):
                break
            work_f = int(graph.degrees(fwd.frontier).sum()) if len(fwd.frontier) else -1
            work_b = int(graph.degrees(bwd.frontier).sum()) if len(bwd.frontier) else -1
            grow_fwd = work_b < 0 or 0 <= work_f <= work_b
            side, other = (fwd, bwd) if grow_fwd else (bwd, fwd)
            last = side.hops + 1 + other.hops == max_hops
            new = _grow(graph, side, other, best, cheapest, last, forbid_direct, ws)
            if len(new):
                total = side.dist[new] + other.dist[new]
                i = int(np.argmin(total))
                if total[i] < best:
                    best = float(total[i])
                    node = int(new[i])
                    d_other = other.depth_of(node)
                    meet = (node, side.hops, d_other) if grow_fwd else (node, d_other, side.hops)
        if meet is None:
            return None
        node, d_f, d_b = meet
        walk = fwd.trace(node, d_f) + bwd.trace(node, d_b)[::-1][1:]
        return _erase_loops(walk)
    finally:
        for side in (fwd, bwd):
            for nodes, _ in side.layers:
                side.dist[nodes] = np.inf


def _grow(
    graph: TrustGraph,
    side: _Side,
    other: _Side,
    best: float,
    cheapest: float,
    last: bool,
    forbid_direct: bool,
    ws: _Workspace,
) -> np.ndarray:
    """Extend ``side`` by one layer; returns the nodes whose distance improved."""
    fr = side.frontier
    owner, nbr, code = graph.expand(fr)
    base = side.dist[fr][owner]
    cand = base + side.cost[code]
    if side.source_cost is not None:  # links at the source: their own policy
        at = (fr[owner] == side.source) | (nbr == side.source)
        cand[at] = base[at] + side.source_cost[code[at]]
    if best < math.inf:  # the bound is the strongest filter: apply it first
        keep = np.flatnonzero(cand + _lower_bound(other, nbr, cheapest, last) < best)
        nbr, cand, owner = nbr[keep], cand[keep], owner[keep]
    elif last:
        keep = np.flatnonzero(other.dist[nbr] < math.inf)
        nbr, cand, owner = nbr[keep], cand[keep], owner[keep]
    keep = cand < side.dist[nbr]  # also rejects the origin (distance 0)
    if side.hops == 0 and forbid_direct:
        keep &= nbr != side.end
    keep &= ~ws.blocked[nbr]
    nbr, cand, owner = nbr[keep], cand[keep], owner[keep]
    np.minimum.at(side.dist, nbr, cand)
    won = cand == side.dist[nbr]
    nbr, owner = nbr[won], owner[won]
    # Equal-cost winners for one node: keep exactly one (whichever write landed in ``slot``).
    order = np.arange(len(nbr), dtype=np.int32)
    ws.slot[nbr] = order
    one = ws.slot[nbr] == order
    new = nbr[one].astype(np.int64)
    side.layers.append((new, fr[owner[one]]))
    side.hops += 1
    side.frontier = new[new != side.end]
    return new


def _erase_loops(walk: list[int]) -> list[int]:
    """Cut cycles out of a walk (only zero-cost links can produce one; see module docstring)."""
    path: list[int] = []
    seen: dict[int, int] = {}
    for node in walk:
        if node in seen:
            cut = seen[node]
            for dropped in path[cut + 1 :]:
                del seen[dropped]
            del path[cut + 1 :]
        else:
            seen[node] = len(path)
            path.append(node)
    return path
