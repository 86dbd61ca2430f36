"""The compact graph: construction, overlay of changes, folding, persistence, queries."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.network.graphcore import (
    Change,
    TrustGraph,
    decode_trust,
    encode_trust,
    transpose_code,
)

FAST = settings(max_examples=120, derandomize=True, deadline=None, database=None)
MEMBERS = [3, 10, 11, 42, 99, 500, 501, 7000]  # sparse ids on purpose


def as_state(graph: TrustGraph) -> dict[tuple[int, int], tuple[int, int]]:
    """Every connection (low id, high id) with (rating low gives high, rating high gives low)."""
    state = {}
    for a in graph.id_of(np.arange(graph.node_count)).tolist():
        for b in graph.neighbours(a):
            trust = graph.trust_between(a, b)
            assert trust is not None
            assert graph.trust_between(b, a) == (trust[1], trust[0])
            if a < b:
                state[(a, b)] = trust
    return state


def replay(changes: list[Change]) -> dict[tuple[int, int], tuple[int, int]]:
    """The changelog's meaning, written the simple way."""
    state: dict[tuple[int, int], tuple[int, int]] = {}
    for change in changes:
        a, b, tab, tba = change.a, change.b, change.trust_ab, change.trust_ba
        if a > b:
            a, b, tab, tba = b, a, tba, tab
        if change.kind == "add":
            state[(a, b)] = (tab or 3, tba or 3)
        elif change.kind == "remove":
            state.pop((a, b), None)
        elif (a, b) in state:
            old = state[(a, b)]
            state[(a, b)] = (tab or old[0], tba or old[1])
    return state


changes_strategy = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "remove", "trust"]),
        st.sampled_from(MEMBERS),
        st.sampled_from(MEMBERS),
        st.one_of(st.none(), st.integers(1, 5)),
        st.one_of(st.none(), st.integers(1, 5)),
    ).filter(lambda c: c[1] != c[2]),
    max_size=40,
)


def numbered(raw: list[tuple], start: int = 1) -> list[Change]:
    return [Change(start + i, *c) for i, c in enumerate(raw)]


def test_trust_codes_round_trip() -> None:
    given_, received = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    codes = encode_trust(given_, received)

    assert sorted(codes.ravel().tolist()) == list(range(25))
    assert np.array_equal(decode_trust(codes)[0], given_)
    assert np.array_equal(decode_trust(transpose_code(codes))[0], received)


def test_from_connections_keeps_last_duplicate_in_either_orientation() -> None:
    graph = TrustGraph.from_connections([3, 10, 3], [10, 3, 42], [5, 2, 4], [1, 4, 3])

    assert graph.trust_between(3, 10) == (4, 2)
    assert graph.trust_between(10, 3) == (2, 4)
    assert graph.connection_count == 2
    assert graph.neighbours(3) == [10, 42]


def test_from_connections_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="themself"):
        TrustGraph.from_connections([1], [1])
    with pytest.raises(ValueError, match="trust_ab"):
        TrustGraph.from_connections([1], [2], [6], [3])


def test_csr_costs_at_most_twenty_bytes_per_connection() -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2000, 40_000)
    b = rng.integers(0, 2000, 40_000)
    keep = a != b
    graph = TrustGraph.from_connections(a[keep] * 7, b[keep] * 7)

    assert graph.nbytes / graph.connection_count <= 20


@FAST
@given(st.lists(changes_strategy, min_size=1, max_size=3))
def test_overlay_matches_a_rebuild_from_the_changelog(batches: list[list[tuple]]) -> None:
    base = TrustGraph.from_connections([3, 10, 42], [10, 11, 7000], [5, 1, 2], [4, 3, 2])
    history = [
        Change(0, "add", 3, 10, 5, 4),
        Change(0, "add", 10, 11, 1, 3),
        Change(0, "add", 42, 7000, 2, 2),
    ]
    next_id = 1
    for raw in batches:
        batch = numbered(raw, next_id)
        next_id += len(batch)
        base.apply(batch)
        history += batch

    expected = replay(history)
    assert as_state(base) == expected
    assert base.connection_count == len(expected)
    assert base.watermark == next_id - 1
    folded = base.fold()
    assert not folded.has_overlay
    assert as_state(folded) == expected
    assert folded.watermark == base.watermark
    assert np.all(np.diff(folded.id_of(np.arange(folded.node_count))) > 0)


def test_apply_skips_rows_at_or_below_the_watermark() -> None:
    graph = TrustGraph.from_connections([1], [2], watermark=10)

    applied = graph.apply(
        [Change(9, "remove", 1, 2), Change(10, "add", 1, 3), Change(11, "add", 2, 3, 5, 4)]
    )
    again = graph.apply([(11, "add", 2, 3, 1, 1)])

    assert (applied, again) == (1, 0)
    assert graph.neighbours(1) == [2]
    assert graph.trust_between(2, 3) == (5, 4)
    assert graph.watermark == 11


def test_invalid_batch_changes_nothing() -> None:
    graph = TrustGraph.from_connections([1], [2])

    with pytest.raises(ValueError, match="unknown kind"):
        graph.apply([Change(1, "add", 1, 3), Change(2, "merge", 1, 2)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="self-connection"):
        graph.apply([Change(1, "add", 4, 4)])
    with pytest.raises(ValueError, match="out of range"):
        graph.apply([Change(1, "trust", 1, 2, 0, None)])

    assert graph.neighbours(1) == [2] and graph.neighbours(3) == []
    assert graph.watermark == 0 and not graph.has_overlay


def test_apply_is_copy_on_write_for_readers_of_the_old_state() -> None:
    graph = TrustGraph.from_connections([1], [2])
    before = graph.fold()

    graph.apply([Change(1, "add", 1, 3), Change(2, "remove", 1, 2)])

    assert before.neighbours(1) == [2]
    assert graph.neighbours(1) == [3]


def test_save_and_load_round_trip_memory_mapped(tmp_path: Path) -> None:
    graph = TrustGraph.from_connections(
        [3, 10, 42], [10, 11, 7000], [5, 1, 2], [4, 3, 2], members=[99], watermark=7
    )
    graph.apply([Change(8, "add", 99, 3, 2, 5)])  # saved folded

    saved = graph.save(tmp_path / "graph")
    loaded = TrustGraph.load(saved)

    assert loaded.is_memory_mapped and not graph.is_memory_mapped
    assert loaded.watermark == 8
    assert as_state(loaded) == as_state(graph)
    assert loaded.member_count == 6
    # Saving again replaces the directory in one rename; the mapped reader is unaffected.
    graph.apply([Change(9, "remove", 3, 10)])
    graph.save(saved)
    assert TrustGraph.load(saved).trust_between(3, 10) is None
    assert loaded.trust_between(3, 10) == (5, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph"]


def test_loaded_graph_accepts_overlay_changes(tmp_path: Path) -> None:
    loaded = TrustGraph.load(TrustGraph.from_connections([1, 2], [2, 3]).save(tmp_path / "g"))

    loaded.apply([Change(1, "add", 3, 4, 5, 5), Change(2, "trust", 1, 2, 1, None)])

    assert loaded.neighbours(4) == [3]
    assert loaded.trust_between(2, 1) == (3, 1)


def test_load_in_a_fresh_process_shares_pages(tmp_path: Path) -> None:
    path = TrustGraph.from_connections([1, 2], [2, 3]).save(tmp_path / "g")
    code = (
        "import sys; from maillon.network.graphcore import TrustGraph; "
        f"g = TrustGraph.load({str(path)!r}); "
        "sys.exit(0 if g.is_memory_mapped and g.neighbours(2) == [1, 3] else 1)"
    )
    root = Path(__file__).resolve().parents[2]
    env_path = f"{root / 'platform'}:{root}"
    env = os.environ | {"PYTHONPATH": env_path}
    # The interpreter running the tests and a literal program: nothing untrusted.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()


def random_graph(seed: int, n: int = 60, m: int = 150) -> TrustGraph:
    rng = random.Random(seed)
    ids = rng.sample(range(1, 10_000), n)
    pairs = [tuple(rng.sample(ids, 2)) for _ in range(m)]
    return TrustGraph.from_connections(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        [rng.randint(1, 5) for _ in pairs],
        [rng.randint(1, 5) for _ in pairs],
        members=ids,
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_overlay", [False, True])
def test_degree_of_matches_networkx_distances(seed: int, with_overlay: bool) -> None:
    graph = random_graph(seed)
    ids = graph.id_of(np.arange(graph.node_count)).tolist()
    if with_overlay:
        rng = random.Random(seed)
        graph.apply(
            numbered(
                [("remove", *rng.sample(ids, 2), None, None) for _ in range(30)]
                + [("add", *rng.sample(ids, 2), 5, 5) for _ in range(10)]
                + [("add", rng.choice(ids), 10_001 + i, 3, 3) for i in range(3)]
            )
        )
        ids = graph.id_of(np.arange(graph.node_count)).tolist()
    nxg = graph.to_networkx()
    targets = ids + [123_456]

    for source in ids[:15]:
        distances = nx.single_source_shortest_path_length(nxg, source, cutoff=3)
        expected = {t: (distances.get(t) or None) for t in targets}

        assert graph.degree_of(source, targets) == expected
        capped = graph.degree_of(source, targets, max_degree=2)
        assert capped == {t: (d if d and d <= 2 else None) for t, d in expected.items()}


def test_degree_of_unknown_source_and_bad_cap() -> None:
    graph = random_graph(1)

    assert graph.degree_of(424_242, [1, 2]) == {1: None, 2: None}
    assert graph.degree_of(424_242, []) == {}
    with pytest.raises(ValueError, match="max_degree"):
        graph.degree_of(1, [2], max_degree=4)


def test_shared_connections_and_neighbours_match_networkx() -> None:
    graph = random_graph(3)
    graph.apply([Change(1, "add", 1, 2), Change(2, "add", 2, 3), Change(3, "add", 1, 3)])
    nxg = graph.to_networkx()
    ids = list(nxg.nodes)

    for a, b in zip(ids, ids[1:] + ids[:1], strict=True):
        assert graph.neighbours(a) == sorted(nxg[a])
        assert graph.shared_connections(a, b) == sorted(set(nxg[a]) & set(nxg[b]))
    assert graph.shared_connections(1, 3) == [2]
    assert graph.neighbours(987_654) == []
    assert graph.shared_connections(1, 987_654) == []


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("with_overlay", [False, True])
def test_shared_counts_match_networkx(seed: int, with_overlay: bool) -> None:
    graph = random_graph(seed)
    ids = graph.id_of(np.arange(graph.node_count)).tolist()
    if with_overlay:
        rng = random.Random(seed)
        graph.apply(numbered([("remove", *rng.sample(ids, 2), None, None) for _ in range(30)]
                             + [("add", *rng.sample(ids, 2), 5, 5) for _ in range(10)]
                             + [("add", rng.choice(ids), 20_001 + i, 3, 3) for i in range(3)]))
        ids = graph.id_of(np.arange(graph.node_count)).tolist()
    nxg = graph.to_networkx()
    targets = [*ids, 123_456]

    for source in ids[:12]:
        assert graph.shared_counts(source, targets) == {
            t: len(set(nxg[source]) & set(nxg[t])) if t in nxg else 0 for t in targets}
    assert graph.shared_counts(424_242, [ids[0]]) == {ids[0]: 0}
    assert graph.shared_counts(ids[0], []) == {}


def test_to_networkx_keeps_both_ratings() -> None:
    graph = TrustGraph.from_connections([5, 9], [9, 2], [1, 4], [5, 2], members=[77])

    nxg = graph.to_networkx()

    assert sorted(nxg.nodes) == [2, 5, 9, 77]
    assert nxg[5][9]["trust"] == {5: 1, 9: 5}
    assert nxg[9][2]["trust"] == {9: 4, 2: 2}


def test_from_changes_replays_a_changelog() -> None:
    graph = TrustGraph.from_changes(
        [(1, "add", 1, 2, 4, 5), (2, "add", 2, 3, None, None), (3, "remove", 1, 2, None, None)]
    )

    assert as_state(graph) == {(2, 3): (3, 3)}
    assert graph.watermark == 3
    assert graph.member_count == 3


def test_to_networkx_without_networkx_says_which_extra_to_install(monkeypatch):
    graph = TrustGraph.from_connections([3], [10], [5], [1])
    monkeypatch.setitem(sys.modules, "networkx", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"maillon\[bench\]"):
        graph.to_networkx()
