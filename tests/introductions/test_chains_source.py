"""``best_chains`` with a policy of its own for the links at the source, against brute force.

Routing scores a member's own links from that member's rating only (see routing.own_link_prob)
and every other link by its coarse level; the search must stay exact under such a mix, from
whichever end it reaches a link at the source.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.introductions.chains import Chain, best_chains, chain_probability
from maillon.network.graphcore import TrustGraph

FAST = settings(max_examples=150, derandomize=True, deadline=None, database=None)


def own_only(given_: np.ndarray, received: np.ndarray) -> np.ndarray:
    """The source's own rating counts on both sides; its contact's rating of it never."""
    given_ = np.asarray(given_, dtype=float)
    return 0.5 + 0.45 * (given_ - 1) / 4


def banded(ab: np.ndarray, ba: np.ndarray) -> np.ndarray:
    """Other links: a coarse level of both ratings (the sum in three bands)."""
    total = np.asarray(ab, dtype=float) + np.asarray(ba, dtype=float)
    mean = np.where(total <= 4, 1.5, np.where(total <= 7, 3.0, 4.5))
    return 0.5 + 0.45 * (mean - 1) / 4


def reference(nxg: nx.Graph, path: list[int], hop_factor: float) -> float:
    probability = 1.0
    for i, (u, v) in enumerate(zip(path, path[1:], strict=False)):
        trust = nxg[u][v]["trust"]
        policy = own_only if i == 0 else banded
        probability *= float(policy(trust[u], trust[v]))
    return probability * hop_factor ** (len(path) - 2)


def reference_best(nxg, source, target, max_hops, hop_factor, used=(), no_direct=False):
    best = None
    for path in nx.all_simple_paths(nxg, source, target, cutoff=max_hops):
        if any(x in used for x in path[1:-1]) or (no_direct and len(path) == 2):
            continue
        p = reference(nxg, path, hop_factor)
        best = p if best is None else max(best, p)
    return best


@st.composite
def graphs(draw: st.DrawFn, max_nodes: int = 9) -> tuple[TrustGraph, list[int]]:
    n = draw(st.integers(2, max_nodes))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    edges = [p for p in pairs if draw(st.booleans())]
    trust = [draw(st.tuples(st.integers(1, 5), st.integers(1, 5))) for _ in edges]
    ids = [1000 + 37 * i for i in range(n)]
    graph = TrustGraph.from_connections(
        [ids[a] for a, _ in edges], [ids[b] for _, b in edges],
        [t[0] for t in trust], [t[1] for t in trust], members=ids)
    return graph, ids


@FAST
@given(graphs(), st.data())
def test_greedy_chains_with_a_source_policy_match_brute_force(case, data) -> None:
    graph, ids = case
    source, target = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    max_hops = data.draw(st.integers(1, 6))
    hop_factor = data.draw(st.sampled_from([1.0, 0.8, 0.5]))
    nxg = graph.to_networkx()

    chains = best_chains(graph, source, target, max_hops, hop_factor, k=3, link_prob=banded,
                         source_link_prob=own_only)

    used: set[int] = set()
    direct_used = False
    for chain in chains:
        assert chain.nodes[0] == source and chain.nodes[-1] == target
        assert len(set(chain.nodes)) == len(chain.nodes) and 1 <= chain.hops <= max_hops
        assert math.isclose(chain.probability, reference(nxg, list(chain.nodes), hop_factor))
        assert math.isclose(chain.probability, chain_probability(
            graph, chain.nodes, hop_factor, banded, own_only))
        expected = reference_best(nxg, source, target, max_hops, hop_factor, used, direct_used)
        assert expected is not None and math.isclose(chain.probability, expected, rel_tol=1e-9)
        assert not used & set(chain.intermediaries)
        used |= set(chain.intermediaries)
        direct_used |= chain.hops == 1
    if len(chains) < 3:
        assert reference_best(nxg, source, target, max_hops, hop_factor, used,
                              direct_used) is None
    probabilities = [c.probability for c in chains]
    assert probabilities == sorted(probabilities, reverse=True)


def test_only_the_sources_own_rating_counts_on_its_links() -> None:
    # 1 - 2 - 4 and 1 - 3 - 4. 1 rates 2 at 3 and 3 at 3; 2 rates 1 at 5, 3 rates 1 at 1.
    graph = TrustGraph.from_connections([1, 1, 2, 3], [2, 3, 4, 4], [3, 3, 3, 3], [5, 1, 3, 3])
    mean = best_chains(graph, 1, 4, 2, 0.8, k=2)
    assert [c.nodes for c in mean] == [(1, 2, 4), (1, 3, 4)]  # 2's rating of 1 counts
    own = best_chains(graph, 1, 4, 2, 0.8, k=2, link_prob=banded, source_link_prob=own_only)
    assert own[0].probability == own[1].probability == pytest.approx(0.725 * 0.725 * 0.8)
    # The same graph seen from 4: its own links are rated 3 by 4 (the source now).
    back = best_chains(graph, 4, 1, 2, 0.8, k=1, link_prob=banded, source_link_prob=own_only)
    assert back == [Chain(back[0].nodes, pytest.approx(0.725 * float(banded(3, 5)) * 0.8))]
