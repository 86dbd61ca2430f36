"""The compact per-instance connection graph: a memory-mapped CSR plus an overlay of changes.

Why this shape: a community of 100k members and 4M connections held as networkx dicts costs
gigabytes per worker process and is rebuilt by each of them; here the graph is four flat numpy
arrays (about 10 bytes per connection) written once by the worker that folds the changelog and
memory-mapped read-only by every web process, so the pages are shared through the page cache and
a new process "loads" the graph in milliseconds. Changes that arrive between two folds (the
``connection_changes`` table, read by watermark) live in a small copy-on-write overlay of whole
adjacency rows, so queries see them at once without rebuilding anything.

Layout of the compressed sparse rows (CSR). Nodes are member ids, stored in ascending order in
``ids``: node index ``i`` is member ``ids[i]`` and an id is found by binary search. Each
undirected connection is stored twice, once in each endpoint's row: ``indices[indptr[i]:
indptr[i+1]]`` are the neighbours of ``i`` (ascending), and ``codes`` holds, for each of those
entries, both private trust ratings packed in one byte: ``(rating the row member gives the
neighbour - 1) * 5 + (rating the neighbour gives the row member - 1)``. Probabilities are an
introductions concern (see ``maillon.introductions.chains``) and are derived from the 25 codes
through a lookup table at query time, so a policy change needs no rebuild.

This module is pure: numpy and the standard library only (networkx only in ``to_networkx``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import networkx as nx

TRUST_MIN = 1
TRUST_MAX = 5
TRUST_DEFAULT = 3
TRUST_LEVELS = TRUST_MAX - TRUST_MIN + 1
#: Number of distinct trust codes (both ratings of a link packed in one byte).
CODE_COUNT = TRUST_LEVELS * TRUST_LEVELS
FORMAT_VERSION = 1

IntArray = npt.NDArray[np.int64]
ChangeKind = Literal["add", "remove", "trust"]

_FILES = ("ids", "indptr", "indices", "codes")


class Change(NamedTuple):
    """One row of the ``connection_changes`` changelog, as the engine reads it.

    ``trust_ab`` is the rating ``a`` gives ``b`` and ``trust_ba`` the rating ``b`` gives ``a``.
    For ``add``, a missing rating means neutral (3); for ``trust``, a missing rating is left as
    it is; ``remove`` ignores both. A plain tuple in the same order is accepted everywhere.
    """

    change_id: int
    kind: ChangeKind
    a: int
    b: int
    trust_ab: int | None = None
    trust_ba: int | None = None


def encode_trust(rating_given: npt.ArrayLike, rating_received: npt.ArrayLike) -> np.ndarray:
    """Pack the two ratings of a row entry (given by the row member, received from the
    neighbour) into the one-byte code stored in ``codes``."""
    given = np.asarray(rating_given, dtype=np.int64)
    received = np.asarray(rating_received, dtype=np.int64)
    return ((given - TRUST_MIN) * TRUST_LEVELS + (received - TRUST_MIN)).astype(np.uint8)


def decode_trust(code: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Unpack codes into (rating given by the row member, rating received from the neighbour)."""
    c = np.asarray(code, dtype=np.int64)
    return c // TRUST_LEVELS + TRUST_MIN, c % TRUST_LEVELS + TRUST_MIN


def transpose_code(code: npt.ArrayLike) -> np.ndarray:
    """The code of the same link seen from the other endpoint's row (ratings swapped)."""
    c = np.asarray(code, dtype=np.int64)
    return ((c % TRUST_LEVELS) * TRUST_LEVELS + c // TRUST_LEVELS).astype(np.uint8)


def _check_trust(values: np.ndarray, what: str) -> None:
    if values.size and (values.min() < TRUST_MIN or values.max() > TRUST_MAX):
        raise ValueError(f"{what} must be between {TRUST_MIN} and {TRUST_MAX}")


def _build_csr(
    src: np.ndarray, dst: np.ndarray, codes: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort directed entries by (row, neighbour) and lay them out as CSR arrays."""
    key = src.astype(np.int64) * max(n, 1) + dst.astype(np.int64)
    order = np.argsort(key, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order].astype(np.int32), codes[order].astype(np.uint8)


@dataclass(frozen=True)
class _Overlay:
    """Changes since the last fold, as whole replacement rows (copy-on-write).

    Replacing whole rows keeps the hot query path vectorised: a frontier is split into patched
    and untouched nodes, untouched rows come straight from the CSR. The object is immutable and
    swapped in one assignment by ``apply``, so a query that captured it sees one consistent
    state even if another thread applies changes meanwhile.
    """

    rows: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    patched: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    new_ids: tuple[int, ...] = ()
    new_index: dict[int, int] = field(default_factory=dict)
    connection_delta: int = 0


class TrustGraph:
    """Connections of one instance with both private trust ratings, as CSR + overlay.

    Build with ``from_connections``, persist with ``save``, share with ``load`` (memory-mapped),
    keep current with ``apply`` (changelog rows after ``watermark``) and ``fold`` now and then.
    Node indices are an internal detail exposed for the path search (``expand``, ``index_of``);
    every other method speaks member ids.
    """

    def __init__(
        self,
        ids: np.ndarray,
        indptr: np.ndarray,
        indices: np.ndarray,
        codes: np.ndarray,
        *,
        watermark: int = 0,
    ) -> None:
        if len(indptr) != len(ids) + 1 or len(indices) != len(codes):
            raise ValueError("inconsistent CSR arrays")
        self._ids = ids
        self._indptr = indptr
        self._indices = indices
        self._codes = codes
        self._n_csr = len(ids)
        self.watermark = int(watermark)
        self._overlay = _Overlay(patched=np.zeros(self._n_csr, dtype=bool))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_connections(
        cls,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        trust_ab: npt.ArrayLike | None = None,
        trust_ba: npt.ArrayLike | None = None,
        *,
        members: npt.ArrayLike | None = None,
        watermark: int = 0,
    ) -> TrustGraph:
        """Build from undirected connections ``a[i]``–``b[i]`` (vectorised; ratings default 3).

        A pair given twice (in either order) keeps its last occurrence, as a replayed table
        would. ``members`` adds members without connections. ``watermark`` is the id of the
        last changelog row already reflected in these connections.
        """
        a_arr = np.asarray(a, dtype=np.int64).ravel()
        b_arr = np.asarray(b, dtype=np.int64).ravel()
        if a_arr.shape != b_arr.shape:
            raise ValueError("a and b must have the same length")
        m = len(a_arr)
        tab = np.full(m, TRUST_DEFAULT, np.int64) if trust_ab is None else np.asarray(trust_ab)
        tba = np.full(m, TRUST_DEFAULT, np.int64) if trust_ba is None else np.asarray(trust_ba)
        tab = np.broadcast_to(tab.astype(np.int64), (m,))
        tba = np.broadcast_to(tba.astype(np.int64), (m,))
        _check_trust(tab, "trust_ab")
        _check_trust(tba, "trust_ba")
        if np.any(a_arr == b_arr):
            raise ValueError("a member cannot be connected to themself")
        # Orient every pair low id -> high id so that (a, b) and (b, a) are the same key.
        swap = a_arr > b_arr
        lo, hi = np.where(swap, b_arr, a_arr), np.where(swap, a_arr, b_arr)
        t_lo, t_hi = np.where(swap, tba, tab), np.where(swap, tab, tba)
        extra = np.asarray([] if members is None else members, dtype=np.int64).ravel()
        ids = np.unique(np.concatenate([lo, hi, extra]))
        li, hi_idx = np.searchsorted(ids, lo), np.searchsorted(ids, hi)
        if m:
            # Keep the last occurrence of each pair: unique() on the reversed keys finds firsts.
            key = (li * len(ids) + hi_idx)[::-1]
            _, first = np.unique(key, return_index=True)
            keep = np.sort(m - 1 - first)
            li, hi_idx, t_lo, t_hi = li[keep], hi_idx[keep], t_lo[keep], t_hi[keep]
        src = np.concatenate([li, hi_idx])
        dst = np.concatenate([hi_idx, li])
        codes = np.concatenate([encode_trust(t_lo, t_hi), encode_trust(t_hi, t_lo)])
        indptr, indices, codes_sorted = _build_csr(src, dst, codes, len(ids))
        return cls(ids, indptr, indices, codes_sorted, watermark=watermark)

    @classmethod
    def from_changes(cls, changes: Iterable[Change | tuple]) -> TrustGraph:
        """Replay a whole changelog onto an empty graph and fold it (handy for tests/rebuilds)."""
        graph = cls.from_connections([], [])
        graph.apply(changes)
        return graph.fold()

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the folded graph as ``.npy`` files plus ``meta.json`` into directory ``path``.

        Written beside the target and renamed into place, so a reader never sees half a graph;
        readers that already mapped an older version keep it (unlinked files stay valid while
        mapped). Prefer a fresh directory per version (e.g. ``graph-<watermark>``) and let
        workers switch when they notice it.
        """
        graph = self.fold() if self.has_overlay else self
        target = Path(path)
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        arrays = dict(
            zip(_FILES, (graph._ids, graph._indptr, graph._indices, graph._codes), strict=True)
        )
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr))
        meta = {
            "format": FORMAT_VERSION,
            "watermark": graph.watermark,
            "members": graph.member_count,
            "connections": graph.connection_count,
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        old = target.with_name(f"{target.name}.old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        if old.exists():
            shutil.rmtree(old)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, mmap: bool = True) -> TrustGraph:
        """Open a saved graph; with ``mmap`` (default) the arrays are read-only shared mappings."""
        folder = Path(path)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported graph format {meta.get('format')!r} in {folder}")
        mode: Literal["r"] | None = "r" if mmap else None
        # view(np.ndarray): plain arrays over the same mapped pages; indexing an np.memmap
        # subclass is measurably slower on the hot path.
        arrays = [
            np.load(folder / f"{name}.npy", mmap_mode=mode).view(np.ndarray) for name in _FILES
        ]
        return cls(*arrays, watermark=int(meta["watermark"]))

    @property
    def is_memory_mapped(self) -> bool:
        """True when the CSR arrays are views over file mappings (shared between processes)."""
        return isinstance(self._indices.base, np.memmap)

    # ------------------------------------------------------------------ sizes and ids
    @property
    def node_count(self) -> int:
        """Number of node indices in use (CSR members plus members added since the fold)."""
        return self._n_csr + len(self._overlay.new_ids)

    @property
    def member_count(self) -> int:
        """Members known to the graph, connected or not."""
        return self.node_count

    @property
    def connection_count(self) -> int:
        """Undirected connections, overlay included."""
        return len(self._indices) // 2 + self._overlay.connection_delta

    @property
    def has_overlay(self) -> bool:
        """Whether changes were applied since the CSR was built (``fold`` would do work)."""
        return bool(self._overlay.rows)

    @property
    def nbytes(self) -> int:
        """Bytes of the shared CSR arrays (the overlay is private and small)."""
        return int(sum(a.nbytes for a in (self._ids, self._indptr, self._indices, self._codes)))

    def index_of(self, member_ids: npt.ArrayLike) -> IntArray:
        """Node indices of ``member_ids`` (vectorised); -1 for members not in the graph."""
        q = np.asarray(member_ids, dtype=np.int64).ravel()
        pos = np.searchsorted(self._ids, q)
        pos_c = np.minimum(pos, max(self._n_csr - 1, 0))
        found = (pos < self._n_csr) & (self._ids[pos_c] == q) if self._n_csr else pos < 0
        out = np.where(found, pos, -1).astype(np.int64)
        new_index = self._overlay.new_index
        if new_index:
            for i in np.flatnonzero(~found):
                out[i] = new_index.get(int(q[i]), -1)
        return out

    def id_of(self, indices: npt.ArrayLike) -> IntArray:
        """Member ids of node indices (vectorised)."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        new_ids = self._overlay.new_ids
        if not new_ids:
            return self._ids[idx].astype(np.int64)
        all_ids = np.concatenate([self._ids, np.asarray(new_ids, dtype=np.int64)])
        return all_ids[idx]

    def _index(self, member_id: int) -> int:
        return int(self.index_of([member_id])[0])

    # ------------------------------------------------------------------ adjacency
    def expand(self, nodes: npt.ArrayLike) -> tuple[IntArray, np.ndarray, np.ndarray]:
        """All neighbour entries of ``nodes`` (indices) in one vectorised gather.

        Returns ``(owner, neighbour, code)``: ``owner[j]`` is the position in ``nodes`` whose
        row entry ``j`` is, ``neighbour[j]`` its node index, ``code[j]`` the packed ratings seen
        from the owner's row. This is the only adjacency primitive the path search needs.
        """
        nodes_arr = np.asarray(nodes, dtype=np.int64).ravel()
        ov = self._overlay
        if ov.rows:
            patched = ov.patched[nodes_arr]
            if patched.any():
                return self._expand_mixed(nodes_arr, patched, ov)
        return self._expand_csr(nodes_arr, np.arange(len(nodes_arr), dtype=np.int64))

    def _expand_csr(
        self, nodes: IntArray, positions: IntArray
    ) -> tuple[IntArray, np.ndarray, np.ndarray]:
        if len(nodes) == 1:  # the common single-row case, without the gather machinery
            lo, hi = int(self._indptr[nodes[0]]), int(self._indptr[nodes[0] + 1])
            owner = np.full(hi - lo, positions[0], dtype=np.int64)
            return owner, self._indices[lo:hi], self._codes[lo:hi]
        starts = self._indptr[nodes]
        lens = self._indptr[nodes + 1] - starts
        total = int(lens.sum())
        owner = np.repeat(positions, lens)
        ends = np.cumsum(lens)
        pos = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lens), lens)
        return owner, self._indices[pos], self._codes[pos]

    def _expand_mixed(
        self, nodes: IntArray, patched: np.ndarray, ov: _Overlay
    ) -> tuple[IntArray, np.ndarray, np.ndarray]:
        plain = np.flatnonzero(~patched)
        owners, nbrs, codes = [], [], []
        if len(plain):
            o, nb, c = self._expand_csr(nodes[plain], plain.astype(np.int64))
            owners.append(o)
            nbrs.append(nb)
            codes.append(c)
        for p in np.flatnonzero(patched):
            row_n, row_c = ov.rows[int(nodes[p])]
            owners.append(np.full(len(row_n), p, dtype=np.int64))
            nbrs.append(row_n)
            codes.append(row_c)
        return (
            np.concatenate(owners),
            np.concatenate(nbrs).astype(np.int32, copy=False),
            np.concatenate(codes).astype(np.uint8, copy=False),
        )

    def degrees(self, nodes: npt.ArrayLike) -> IntArray:
        """Degree of each node index (overlay included); used to pick the cheaper search side."""
        nodes_arr = np.asarray(nodes, dtype=np.int64).ravel()
        ov = self._overlay
        deg = np.zeros(len(nodes_arr), dtype=np.int64)
        in_csr = nodes_arr < self._n_csr
        csr_nodes = nodes_arr[in_csr]
        deg[in_csr] = self._indptr[csr_nodes + 1] - self._indptr[csr_nodes]
        if ov.rows:
            for p in np.flatnonzero(ov.patched[nodes_arr]):
                deg[p] = len(ov.rows[int(nodes_arr[p])][0])
        return deg

    def _row(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
        _, nbrs, codes = self.expand([idx])
        return nbrs, codes

    # ------------------------------------------------------------------ queries
    def neighbours(self, member_id: int) -> list[int]:
        """Member ids connected to ``member_id``, ascending (empty if unknown)."""
        idx = self._index(member_id)
        if idx < 0:
            return []
        nbrs, _ = self._row(idx)
        return sorted(int(x) for x in self.id_of(nbrs))

    def trust_between(self, a: int, b: int) -> tuple[int, int] | None:
        """``(rating a gives b, rating b gives a)``, or None when they are not connected."""
        ia, ib = self._index(a), self._index(b)
        if ia < 0 or ib < 0:
            return None
        nbrs, codes = self._row(ia)
        hit = np.flatnonzero(nbrs == ib)
        if not len(hit):
            return None
        given, received = decode_trust(codes[hit[0]])
        return int(given), int(received)

    def shared_connections(self, a: int, b: int) -> list[int]:
        """Members connected to both ``a`` and ``b``, ascending ids."""
        ia, ib = self._index(a), self._index(b)
        if ia < 0 or ib < 0:
            return []
        common = np.intersect1d(self._row(ia)[0], self._row(ib)[0], assume_unique=True)
        return sorted(int(x) for x in self.id_of(common))

    def shared_counts(self, source: int, targets: Sequence[int]) -> dict[int, int]:
        """How many connections each target shares with ``source`` (0 for unknown members).

        One gather for all the targets (the source's neighbours marked once), where
        ``len(shared_connections(source, t))`` per target cost a search, an intersection and
        a sorted id list each: a results page's 20 badges.
        """
        result = {int(t): 0 for t in targets}
        src = self._index(source)
        if src < 0 or not result:
            return result
        keys = np.fromiter(result, dtype=np.int64, count=len(result))
        t_idx = self.index_of(keys)
        known = np.flatnonzero(t_idx >= 0)
        if not len(known):
            return result
        in_src = np.zeros(self.node_count, dtype=bool)
        in_src[self.expand([src])[1]] = True
        owner, nbrs, _ = self.expand(t_idx[known])
        counts = np.bincount(owner[in_src[nbrs]], minlength=len(known))
        for key, count in zip(keys[known].tolist(), counts.tolist(), strict=True):
            result[key] = count
        return result

    def degree_of(
        self, source: int, targets: Sequence[int], max_degree: int = 3
    ) -> dict[int, int | None]:
        """Social distance badge (1, 2 or 3) from ``source`` to each target, else None.

        Why not a search per target: a results page needs 20 badges in well under a millisecond.
        The source's neighbours N1 and, for degree 3, their neighbours N2 are marked once; a
        target is at degree 2 if one of its neighbours is in N1 and at degree 3 if one is in
        N2, all in three vectorised gathers. The source itself and unknown members get None.
        """
        if not 1 <= max_degree <= 3:
            raise ValueError("max_degree must be 1, 2 or 3")
        result: dict[int, int | None] = {int(t): None for t in targets}
        src = self._index(source)
        if src < 0 or not result:
            return result
        keys = np.fromiter(result, dtype=np.int64, count=len(result))
        t_idx = self.index_of(keys)
        n = self.node_count
        _, n1, _ = self.expand([src])
        in_n1 = np.zeros(n, dtype=bool)
        in_n1[n1] = True
        known = t_idx >= 0
        degree = np.zeros(len(keys), dtype=np.int64)
        degree[known & in_n1[np.maximum(t_idx, 0)]] = 1
        todo = np.flatnonzero(known & (degree == 0) & (t_idx != src))
        if max_degree >= 2 and len(todo):
            owner, t_nbrs, _ = self.expand(t_idx[todo])
            hit2 = np.bincount(owner[in_n1[t_nbrs]], minlength=len(todo)) > 0
            degree[todo[hit2]] = 2
            if max_degree >= 3 and not hit2.all():
                _, n2, _ = self.expand(n1)
                in_n2 = np.zeros(n, dtype=bool)
                in_n2[n2] = True
                hit3 = np.bincount(owner[in_n2[t_nbrs]], minlength=len(todo)) > 0
                degree[todo[hit3 & ~hit2]] = 3
        for key, d in zip(keys.tolist(), degree.tolist(), strict=True):
            if d:
                result[key] = d
        return result

    def to_networkx(self) -> nx.Graph:
        """An ``nx.Graph`` copy for analysis: nodes are member ids, each edge carries
        ``trust={a: rating a gives b, b: rating b gives a}``. Costly for big graphs."""
        try:
            import networkx as nx
        except ImportError as exc:  # not a runtime dependency: the test and bench extras
            raise ImportError("Graph.to_networkx() needs networkx: pip install "
                              "'maillon[bench]' (or the test extra)") from exc

        graph = nx.Graph()
        n = self.node_count
        all_ids = self.id_of(np.arange(n))
        graph.add_nodes_from(all_ids.tolist())
        owner, nbr, code = self.expand(np.arange(n))
        once = owner < nbr
        given, received = decode_trust(code[once])
        a_ids, b_ids = all_ids[owner[once]], all_ids[nbr[once]]
        graph.add_edges_from(
            (a, b, {"trust": {a: g, b: r}})
            for a, b, g, r in zip(
                a_ids.tolist(), b_ids.tolist(), given.tolist(), received.tolist(), strict=True
            )
        )
        return graph

    # ------------------------------------------------------------------ changes
    def apply(self, changes: Iterable[Change | tuple]) -> int:
        """Apply changelog rows with ``change_id > watermark``, in the order given.

        The feed must be ordered by ``change_id``; rows at or below the watermark are skipped,
        so re-reading a batch is harmless. The batch is all-or-nothing: an invalid row raises
        ``ValueError`` and leaves the graph and watermark as they were. Adding an existing
        connection updates its ratings; removing or re-rating a missing one does nothing (the
        changelog may race with itself, the database stays the truth). Returns the number of
        rows applied.
        """
        ov = self._overlay
        new_ids = list(ov.new_ids)
        new_index = dict(ov.new_index)
        work: dict[int, dict[int, int]] = {}
        delta = ov.connection_delta
        watermark = self.watermark
        applied = 0

        def index(member: int, create: bool) -> int:
            idx = self._index(member) if member not in new_index else new_index[member]
            if idx < 0 and create:
                idx = self._n_csr + len(new_ids)
                new_ids.append(member)
                new_index[member] = idx
            return idx

        def row(idx: int) -> dict[int, int]:
            if idx not in work:
                if idx in ov.rows:
                    nbrs, codes = ov.rows[idx]
                elif idx < self._n_csr:
                    lo, hi = int(self._indptr[idx]), int(self._indptr[idx + 1])
                    nbrs, codes = self._indices[lo:hi], self._codes[lo:hi]
                else:
                    nbrs, codes = np.zeros(0, np.int32), np.zeros(0, np.uint8)
                work[idx] = dict(zip(nbrs.tolist(), codes.tolist(), strict=True))
            return work[idx]

        for raw in changes:
            change = Change(*raw)
            if change.change_id <= watermark:
                continue
            kind, a, b = change.kind, int(change.a), int(change.b)
            if a == b:
                raise ValueError(f"change {change.change_id}: self-connection of {a}")
            for t in (change.trust_ab, change.trust_ba):
                if t is not None and not TRUST_MIN <= t <= TRUST_MAX:
                    raise ValueError(f"change {change.change_id}: trust {t} out of range")
            if kind == "add":
                ia, ib = index(a, True), index(b, True)
                tab = TRUST_DEFAULT if change.trust_ab is None else change.trust_ab
                tba = TRUST_DEFAULT if change.trust_ba is None else change.trust_ba
                ra, rb = row(ia), row(ib)
                delta += ib not in ra
                ra[ib] = int(encode_trust(tab, tba))
                rb[ia] = int(encode_trust(tba, tab))
            elif kind in ("remove", "trust"):
                ia, ib = index(a, False), index(b, False)
                if ia >= 0 and ib >= 0 and ib in row(ia):
                    ra, rb = row(ia), row(ib)
                    if kind == "remove":
                        del ra[ib], rb[ia]
                        delta -= 1
                    else:
                        old_ab, old_ba = decode_trust(ra[ib])
                        tab = int(old_ab) if change.trust_ab is None else change.trust_ab
                        tba = int(old_ba) if change.trust_ba is None else change.trust_ba
                        ra[ib] = int(encode_trust(tab, tba))
                        rb[ia] = int(encode_trust(tba, tab))
            else:
                raise ValueError(f"change {change.change_id}: unknown kind {kind!r}")
            watermark = change.change_id
            applied += 1

        if not applied:
            return 0
        rows = dict(ov.rows)
        for idx, entries in work.items():
            order = sorted(entries)
            rows[idx] = (
                np.asarray(order, dtype=np.int32),
                np.asarray([entries[k] for k in order], dtype=np.uint8),
            )
        patched = np.zeros(self._n_csr + len(new_ids), dtype=bool)
        patched[: len(ov.patched)] = ov.patched
        patched[list(work)] = True
        self._overlay = _Overlay(rows, patched, tuple(new_ids), new_index, delta)
        self.watermark = watermark
        return applied

    def fold(self) -> TrustGraph:
        """A new graph with the overlay merged into fresh in-memory CSR arrays.

        The current graph is left untouched, so readers keep using it until the caller swaps
        (typically: fold, ``save`` to a new directory, workers ``load`` it).
        """
        if not self.has_overlay:
            return TrustGraph(
                self._ids, self._indptr, self._indices, self._codes, watermark=self.watermark
            )
        n = self.node_count
        owner, nbr, code = self.expand(np.arange(n))
        old_ids = self.id_of(np.arange(n))
        ids = np.sort(old_ids)
        remap = np.searchsorted(ids, old_ids)
        indptr, indices, codes = _build_csr(remap[owner], remap[nbr], code, n)
        return TrustGraph(ids, indptr, indices, codes, watermark=self.watermark)
