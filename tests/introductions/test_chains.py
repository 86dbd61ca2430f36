"""Chains against a brute-force reference: every simple path of at most max_hops links.

The reference owns its link policies: it restates the documented default (mean of both
ratings, 1..5 -> 0.50..0.95) instead of importing it, and the property tests also run with an
asymmetric policy, so a search that read a link from the wrong end would disagree.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.introductions.chains import (
    Chain,
    best_chains,
    chain_probability,
    link_prob_table,
)
from maillon.network.graphcore import Change, TrustGraph

FAST = settings(max_examples=150, derandomize=True, deadline=None, database=None)


def member_id(i: int) -> int:
    """Sparse, non-contiguous ids so that index/id confusion cannot pass unnoticed."""
    return 1000 + 37 * i


@st.composite
def graphs(draw: st.DrawFn, max_nodes: int = 9) -> tuple[TrustGraph, list[int]]:
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
    graph = TrustGraph.from_connections(
        [ids[a] for a, _ in edges],
        [ids[b] for _, b in edges],
        [t[0] for t in trust],
        [t[1] for t in trust],
        members=ids,
    )
    return graph, ids


def mean_rating(forwarder_rates: float, next_rates: float) -> float:
    """The documented default policy, restated: the mean of both ratings, 1..5 -> 0.50..0.95."""
    return 0.5 + 0.45 * ((forwarder_rates + next_rates) / 2 - 1) / 4


def forwarder_weighted(ab: np.ndarray, ba: np.ndarray) -> np.ndarray:
    """An asymmetric policy: mostly the forwarder's rating of the next member (0.43..0.95)."""
    return 0.3 + 0.12 * np.asarray(ab, dtype=float) + 0.01 * np.asarray(ba, dtype=float)


#: (policy given to the code under test, the reference's own version of it)
POLICIES = {
    "default": (None, mean_rating),
    "asymmetric": (forwarder_weighted, lambda ab, ba: 0.3 + 0.12 * ab + 0.01 * ba),
}


def path_probability(nxg: nx.Graph, path: list[int], hop_factor: float, link_prob=None) -> float:
    link_prob = link_prob or mean_rating
    probability = 1.0
    for u, v in zip(path, path[1:], strict=False):
        trust = nxg[u][v]["trust"]  # {u: rating u gives v, v: rating v gives u}
        probability *= float(link_prob(trust[u], trust[v]))
    return probability * hop_factor ** (len(path) - 2)


def given_policy(name: str) -> dict:
    """Keyword arguments for the code under test: the default policy is its own default."""
    policy = POLICIES[name][0]
    return {} if policy is None else {"link_prob": policy}


def reference_best(
    nxg: nx.Graph,
    source: int,
    target: int,
    max_hops: int,
    hop_factor: float,
    avoid: Collection[int] = (),
    no_direct: bool = False,
    link_prob=None,
) -> float | None:
    """Best probability over all allowed simple paths, by enumeration."""
    best = None
    for path in nx.all_simple_paths(nxg, source, target, cutoff=max_hops):
        if any(x in avoid for x in path[1:-1]) or (no_direct and len(path) == 2):
            continue
        probability = path_probability(nxg, path, hop_factor, link_prob)
        best = probability if best is None else max(best, probability)
    return best


def assert_valid_chain(
    nxg: nx.Graph, chain: Chain, source: int, target: int, max_hops: int, hop_factor: float,
    link_prob=None,
) -> None:
    assert chain.nodes[0] == source and chain.nodes[-1] == target
    assert len(set(chain.nodes)) == len(chain.nodes), "chains must be simple paths"
    assert 1 <= chain.hops <= max_hops
    assert all(nxg.has_edge(u, v) for u, v in zip(chain.nodes, chain.nodes[1:], strict=False))
    assert math.isclose(
        chain.probability, path_probability(nxg, list(chain.nodes), hop_factor, link_prob))


@pytest.mark.parametrize("policy", POLICIES)
@FAST
@given(graphs(), st.data())
def test_best_chain_matches_brute_force(
    policy: str, case: tuple[TrustGraph, list[int]], data: st.DataObject
) -> None:
    graph, ids = case
    source, target = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    max_hops = data.draw(st.integers(1, 6))
    hop_factor = data.draw(st.sampled_from([1.0, 0.8, 0.5]))
    avoid = set(data.draw(st.lists(st.sampled_from(ids), max_size=3)))
    nxg = graph.to_networkx()

    reference = POLICIES[policy][1]

    chains = best_chains(graph, source, target, max_hops, hop_factor, k=1, avoid=avoid,
                         **given_policy(policy))

    expected = reference_best(nxg, source, target, max_hops, hop_factor, avoid - {source, target},
                              link_prob=reference)
    if expected is None:
        assert chains == []
    else:
        assert len(chains) == 1
        assert_valid_chain(nxg, chains[0], source, target, max_hops, hop_factor, reference)
        assert not set(chains[0].intermediaries) & avoid
        assert math.isclose(chains[0].probability, expected, rel_tol=1e-9)


@pytest.mark.parametrize("policy", POLICIES)
@FAST
@given(graphs(), st.data())
def test_alternatives_are_greedy_and_share_no_intermediary(
    policy: str, case: tuple[TrustGraph, list[int]], data: st.DataObject
) -> None:
    graph, ids = case
    source, target = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    max_hops = data.draw(st.integers(1, 6))
    nxg = graph.to_networkx()

    reference = POLICIES[policy][1]

    chains = best_chains(graph, source, target, max_hops, 0.8, k=3, **given_policy(policy))

    assert len(chains) <= 3
    used: set[int] = set()
    direct_used = False
    for chain in chains:
        assert_valid_chain(nxg, chain, source, target, max_hops, 0.8, reference)
        expected = reference_best(nxg, source, target, max_hops, 0.8, used, direct_used,
                                  link_prob=reference)
        assert expected is not None
        assert math.isclose(chain.probability, expected, rel_tol=1e-9)
        assert not used & set(chain.intermediaries)
        used |= set(chain.intermediaries)
        direct_used |= chain.hops == 1
    if len(chains) < 3:  # stopping early means nothing else was allowed
        assert reference_best(nxg, source, target, max_hops, 0.8, used, direct_used,
                              link_prob=reference) is None
    probabilities = [c.probability for c in chains]
    assert probabilities == sorted(probabilities, reverse=True)


def line_graph() -> TrustGraph:
    """1 - 2 - 3 - 4 - 5 - 6 - 7 - 8, all ratings 5, plus a weak shortcut 1 - 8."""
    a = [1, 2, 3, 4, 5, 6, 7]
    return TrustGraph.from_connections(
        a + [1], [x + 1 for x in a] + [8], [5] * 7 + [1], [5] * 7 + [1]
    )


def test_direct_connection_is_one_hop_without_relay_factor() -> None:
    graph = line_graph()

    chains = best_chains(graph, 1, 2, max_hops=3, hop_factor=0.5, k=1)

    assert chains == [Chain((1, 2), pytest.approx(0.95))]
    assert chains[0].intermediaries == ()


def test_hop_cap_is_respected_and_exact() -> None:
    graph = line_graph()

    # Without relay losses the 7 strong links (0.95^7 = 0.70) would beat the weak shortcut
    # (0.5), but they exceed the cap; nor may an alternative reuse the direct link.
    capped = best_chains(graph, 1, 8, max_hops=6, hop_factor=1.0, k=2)
    assert [c.nodes for c in capped] == [(1, 8)]
    assert capped[0].probability == pytest.approx(0.5)
    # From 2, the 6 strong links fit the cap and win over the 2-link detour through 1.
    assert best_chains(graph, 2, 8, 6, 1.0, k=1)[0].nodes == (2, 3, 4, 5, 6, 7, 8)
    assert best_chains(graph, 2, 8, 5, 1.0, k=1)[0].nodes == (2, 1, 8)


def test_longer_strong_chain_beats_weak_direct_link() -> None:
    graph = TrustGraph.from_connections([1, 1, 2], [3, 2, 3], [1, 5, 5], [1, 5, 5])

    chains = best_chains(graph, 1, 3, max_hops=2, hop_factor=1.0, k=2)

    assert [c.nodes for c in chains] == [(1, 2, 3), (1, 3)]
    assert chains[0].probability == pytest.approx(0.95 * 0.95)
    # With a relay that forwards only half the time the direct link wins.
    assert best_chains(graph, 1, 3, 2, 0.5, k=1)[0].nodes == (1, 3)


def test_avoided_members_are_routed_around_but_ends_may_be_listed() -> None:
    graph = TrustGraph.from_connections([1, 2, 1, 4], [2, 3, 4, 3], [5, 5, 2, 2], [5, 5, 2, 2])

    chains = best_chains(graph, 1, 3, max_hops=4, hop_factor=0.8, k=1, avoid={2, 1, 3})

    assert [c.nodes for c in chains] == [(1, 4, 3)]


def test_unreachable_and_unknown_members_give_no_chain() -> None:
    graph = TrustGraph.from_connections([1, 3], [2, 4], members=[5])

    assert best_chains(graph, 1, 4, 6, 0.8) == []
    assert best_chains(graph, 1, 5, 6, 0.8) == []
    assert best_chains(graph, 1, 999, 6, 0.8) == []
    assert best_chains(graph, 999, 1, 6, 0.8) == []


def test_equal_probability_ties_return_one_best() -> None:
    # A 4-cycle with identical ratings: two equally good 2-link chains from 1 to 3.
    graph = TrustGraph.from_connections([1, 2, 3, 4], [2, 3, 4, 1])

    chains = best_chains(graph, 1, 3, max_hops=2, hop_factor=0.8, k=3)

    assert {c.nodes for c in chains} == {(1, 2, 3), (1, 4, 3)}
    assert chains[0].probability == chains[1].probability == pytest.approx(0.725**2 * 0.8)


def test_zero_cost_links_still_give_simple_paths() -> None:
    # Certain links and relays make every cycle free; results must stay simple paths.
    graph = TrustGraph.from_connections([1, 2, 3, 2, 4], [2, 3, 4, 4, 5])
    certain = lambda ab, ba: np.ones_like(ab, dtype=float)  # noqa: E731

    chains = best_chains(graph, 1, 5, 6, 1.0, k=1, link_prob=certain)

    assert chains and chains[0].probability == 1.0
    assert len(set(chains[0].nodes)) == len(chains[0].nodes)


def test_asymmetric_link_prob_reads_forwarder_rating_first() -> None:
    # 1 rates 2 at 5, 2 rates 1 at 1; only the forwarder's rating counts in this policy.
    graph = TrustGraph.from_connections([1], [2], [5], [1])
    forwarder_only = lambda ab, ba: 0.1 + 0.1 * ab  # noqa: E731

    assert best_chains(graph, 1, 2, 1, 1.0, link_prob=forwarder_only)[
        0
    ].probability == pytest.approx(0.6)
    assert best_chains(graph, 2, 1, 1, 1.0, link_prob=forwarder_only)[
        0
    ].probability == pytest.approx(0.2)


def test_search_sees_overlay_changes() -> None:
    graph = line_graph()
    graph.apply([Change(1, "add", 1, 5, 5, 5), Change(2, "remove", 7, 8, None, None)])

    chains = best_chains(graph, 1, 8, 6, 0.8, k=2)

    assert [c.nodes for c in chains] == [(1, 8)]
    assert best_chains(graph, 1, 6, 3, 0.8, k=1)[0].nodes == (1, 5, 6)


def test_chain_probability_scores_existing_chains() -> None:
    graph = line_graph()

    assert chain_probability(graph, [1, 2, 3], 0.8) == pytest.approx(0.95 * 0.95 * 0.8)
    assert chain_probability(graph, [1, 3], 0.8) == 0.0


def test_default_link_prob_maps_ratings_into_open_unit_interval() -> None:
    table = link_prob_table()

    assert table.min() == pytest.approx(0.5) and table.max() == pytest.approx(0.95)
    # Indexed (forwarder rates next - 1) * 5 + (next rates forwarder - 1): the mean counts.
    assert table[2 * 5 + 2] == pytest.approx(0.725)  # 3 and 3
    assert table[4 * 5 + 0] == table[0 * 5 + 4] == pytest.approx(0.725)  # 5 and 1, 1 and 5
    assert table[4 * 5 + 2] == pytest.approx(0.8375)  # 5 and 3


def test_default_policy_takes_the_mean_of_both_ratings_hand_computed() -> None:
    # 1 rates 2 at 5 and 2 rates 1 at 1 (mean 3: 0.725); 2 rates 3 at 4 and 3 rates 2 at 2
    # (mean 3: 0.725). From either end: 0.725 * 0.725 * 0.8 (one relay) = 0.4205.
    graph = TrustGraph.from_connections([1, 2], [2, 3], [5, 4], [1, 2])

    forward = best_chains(graph, 1, 3, max_hops=2, hop_factor=0.8, k=1)
    backward = best_chains(graph, 3, 1, max_hops=2, hop_factor=0.8, k=1)

    assert forward == [Chain((1, 2, 3), pytest.approx(0.4205))]
    assert backward == [Chain((3, 2, 1), pytest.approx(0.4205))]
    assert chain_probability(graph, [1, 2], 1.0) == pytest.approx(0.725)
    assert chain_probability(graph, [2, 1], 1.0) == pytest.approx(0.725)


def test_an_asymmetric_policy_routes_each_direction_its_own_way_hand_computed() -> None:
    # 1 -> 2 -> 3: 1 rates 2 at 5 (2 rates 1 at 1), 2 rates 3 at 4 (3 rates 2 at 2);
    # 1 -> 4 -> 3: every rating 3. With p = 0.3 + 0.12 * forwarder's + 0.01 * next's rating:
    #   1 -> 2 -> 3: 0.91 * 0.80 * 0.8 = 0.5824   1 -> 4 -> 3: 0.69 * 0.69 * 0.8 = 0.38088
    #   3 -> 2 -> 1: 0.58 * 0.47 * 0.8 = 0.21808  3 -> 4 -> 1: 0.38088
    graph = TrustGraph.from_connections([1, 2, 1, 4], [2, 3, 4, 3], [5, 4, 3, 3], [1, 2, 3, 3])

    forward = best_chains(graph, 1, 3, 2, 0.8, k=2, link_prob=forwarder_weighted)
    backward = best_chains(graph, 3, 1, 2, 0.8, k=2, link_prob=forwarder_weighted)

    assert forward == [Chain((1, 2, 3), pytest.approx(0.5824)),
                       Chain((1, 4, 3), pytest.approx(0.38088))]
    assert backward == [Chain((3, 4, 1), pytest.approx(0.38088)),
                        Chain((3, 2, 1), pytest.approx(0.21808))]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_hops": 7}, "max_hops"),
        ({"max_hops": 0}, "max_hops"),
        ({"hop_factor": 0.0}, "hop_factor"),
        ({"k": 0}, "k must"),
        ({"link_prob": lambda ab, ba: ab * 0.0}, "link_prob"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs: dict, message: str) -> None:
    graph = line_graph()
    arguments = {"max_hops": 3, "hop_factor": 0.8} | kwargs

    with pytest.raises(ValueError, match=message):
        best_chains(graph, 1, 3, **arguments)


def test_source_equal_to_target_is_rejected() -> None:
    with pytest.raises(ValueError, match="differ"):
        best_chains(line_graph(), 1, 1, 3, 0.8)


def test_members_who_joined_since_the_fold_are_reachable() -> None:
    graph = line_graph()
    graph.apply([Change(1, "add", 9, 8, 5, 5), Change(2, "add", 9, 1, 4, 4)])

    chains = best_chains(graph, 2, 9, 3, 0.8, k=2)

    assert [c.nodes for c in chains] == [(2, 1, 9)]
    assert chains[0].probability == pytest.approx(0.95 * 0.8375 * 0.8)
    assert best_chains(graph.fold(), 2, 9, 3, 0.8, k=2) == chains
