"""Whoosh segments decoded into numpy arrays, and a snapshot of an index generation.

Why not Whoosh's searcher: it walks postings one document at a time in Python, so a query
touching 20,000 profiles costs tens of milliseconds before counting totals and facets.  Here a
posting list is decoded once per segment (a block is one pickle + one ``cumsum``) and then
combined with vectorised numpy operations.  Segments are immutable, so their decoded data is
kept across refreshes; only deletions change, and they live in the TOC's segment object.

The block decoding and the field lengths read Whoosh internals, through
:mod:`search.whoosh_internals`; ``SegmentData(reader, fast=False)`` reads the same through
Whoosh's public API instead (slower), and the two are tested to agree.
"""

from __future__ import annotations

import functools
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

import numpy as np
from whoosh.reading import SegmentReader

from search import analysis, whoosh_internals

IdArray = np.ndarray
# Decoded postings kept per segment, counted in postings (8 bytes each: int32 id, float32 tf).
_POSTINGS_CACHE_SIZE = 4_000_000
# ... and at most this many terms (a stream of distinct words must not grow it forever).
_POSTINGS_CACHE_TERMS = 50_000
# Document frequencies remembered per snapshot.
_DF_CACHE_TERMS = 100_000
_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
for _array in _EMPTY:
    _array.flags.writeable = False  # shared by every unknown term

F = TypeVar("F", bound=Callable[..., Any])


class SegmentUnreadable(Exception):
    """Whoosh could not read a segment's files (truncated, garbage, gone): not a query bug."""


def _reading(method: F) -> F:
    """Report any failure inside Whoosh's reading code as :class:`SegmentUnreadable`."""

    @functools.wraps(method)
    def wrapper(self: SegmentData, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except SegmentUnreadable:
            raise
        except Exception as exc:
            raise SegmentUnreadable(
                f"segment {self.segment_id}: {method.__name__}{args!r} failed: {exc!r}"
            ) from exc

    return cast(F, wrapper)


class FacetTable:
    """One facet field of one segment: its terms and each document's term indexes.

    Stored by document (CSR), so counting a result mask reads memory in order: a dense
    value-per-document array when each document has at most one value (organisation,
    location), a repeated mask over (document, value) pairs otherwise (skills).
    """

    def __init__(self, terms: list[str], docs: IdArray, vals: IdArray, size: int) -> None:
        self.terms = terms
        self.keys = [analysis.facet_key(t) for t in terms]
        order = np.argsort(docs, kind="stable")
        self.docs = docs[order]
        self.vals = vals[order]
        per_doc = np.bincount(self.docs, minlength=size)
        self.single: np.ndarray | None = None
        if not len(per_doc) or per_doc.max() <= 1:
            self.single = np.full(size, -1, dtype=np.int32)
            self.single[self.docs] = self.vals
        self.per_doc = per_doc

    def counts(self, mask: np.ndarray) -> np.ndarray:
        if self.single is not None:
            values = self.single[mask]
            return np.bincount(values[values >= 0], minlength=len(self.terms))
        return np.bincount(self.vals[np.repeat(mask, self.per_doc)], minlength=len(self.terms))

    def docs_for_key(self, key: str) -> IdArray:
        wanted = [i for i, k in enumerate(self.keys) if k == key]
        if not wanted:
            return np.empty(0, dtype=np.int64)
        return self.docs[np.isin(self.vals, wanted)]


class FacetIndex:
    """A facet field across a snapshot's segments: values merged by their facet key.

    Built once per snapshot (a dictionary pass over the distinct values, not the documents);
    counting a result set is then one gather and one ``bincount`` per segment.  A value is
    displayed in its most frequent spelling ("Python" rather than "python").
    """

    def __init__(self, snap: Snapshot, field: str) -> None:
        registry: dict[str, int] = {}
        self.display: list[str] = []
        best: list[int] = []
        self.tables: list[tuple[FacetTable, int, int, IdArray]] = []
        for seg, off in zip(snap.segments, snap.offsets, strict=True):
            table = seg.facet(field)
            # Spellings are chosen among live documents only: a deleted profile's spelling
            # must not show (its postings stay in the segment until a merge).
            live = snap.live[off : off + seg.size]
            live_counts = np.bincount(table.vals[live[table.docs]], minlength=len(table.terms))
            key_ids = np.empty(len(table.terms), dtype=np.int64)
            for i, term in enumerate(table.terms):
                key = term if field == "open" else table.keys[i]
                kid = registry.setdefault(key, len(registry))
                if kid == len(self.display):
                    self.display.append(term)
                    best.append(0)
                if live_counts[i] > best[kid]:
                    best[kid], self.display[kid] = int(live_counts[i]), term
                key_ids[i] = kid
            self.tables.append((table, off, seg.size, key_ids))
        self.keys = list(registry)

    def counts(self, mask: np.ndarray, limit: int) -> list[tuple[str, int]]:
        total = np.zeros(len(self.keys), dtype=np.float64)
        for table, off, size, key_ids in self.tables:
            if len(key_ids):
                counts = table.counts(mask[off : off + size])
                total += np.bincount(key_ids, weights=counts, minlength=len(self.keys))
        found = np.flatnonzero(total)
        if len(found) > limit:
            found = found[np.argpartition(-total[found], limit - 1)[:limit]]
        ranked = sorted(found, key=lambda k: (-total[k], self.keys[k]))
        return [(self.display[k], int(total[k])) for k in ranked]


class SegmentData:
    """A segment's reader and the arrays decoded from it (valid for the segment's lifetime).

    ``fast`` decodes postings and lengths with :mod:`search.whoosh_internals`; without it,
    with Whoosh's public API (the reference the fast paths are tested against).
    """

    def __init__(self, reader: SegmentReader, fast: bool = True) -> None:
        self.reader = reader
        self.fast = fast
        self.segment_id: str = reader.segment().segment_id()
        self.size: int = reader.doc_count_all()
        self._postings: OrderedDict[tuple[str, str], tuple[IdArray, np.ndarray]] = OrderedDict()
        self._cached_postings = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._ids: list[str] | None = None
        self._id_index: dict[str, int] | None = None
        self._facets: dict[str, FacetTable] = {}
        # Typo matches per (field, word, distance, prefix): building the Levenshtein automaton
        # costs milliseconds, the same word comes back query after query, and a segment never
        # changes. Bounded, so hostile words cannot grow it.
        self._within: OrderedDict[tuple[str, str, int, int], frozenset[str]] = OrderedDict()
        self.files: frozenset[str] | None = None  # its file names, set by the index

    def close(self) -> None:
        self.reader.close()

    @_reading
    def has_term(self, field: str, term: str) -> bool:
        return (field, term) in self.reader

    @_reading
    def doc_frequency(self, field: str, term: str) -> int:
        return self.reader.doc_frequency(field, term)

    @_reading
    def postings(self, field: str, term: str) -> tuple[IdArray, np.ndarray]:
        """Local document numbers and weights (term frequencies) of one term."""
        key = (field, term)
        cached = self._postings.get(key)
        if cached is not None:
            self._postings.move_to_end(key)
            return cached
        if key not in self.reader:
            return _EMPTY  # not cached: unknown words would fill the cache for nothing
        result = self._decode(field, term)
        self._postings[key] = result
        self._cached_postings += len(result[0])
        while len(self._postings) > 1 and (
            self._cached_postings > _POSTINGS_CACHE_SIZE
            or len(self._postings) > _POSTINGS_CACHE_TERMS
        ):
            _, (old_ids, _) = self._postings.popitem(last=False)
            self._cached_postings -= len(old_ids)
        return result

    def _decode(self, field: str, term: str) -> tuple[IdArray, np.ndarray]:
        if self.fast:
            return whoosh_internals.decode_postings(self.reader, field, term)
        return whoosh_internals.public_postings(self.reader, field, term)

    @_reading
    def lengths(self, field: str) -> np.ndarray:
        """Field length of every document (BM25 length normalisation)."""
        cached = self._lengths.get(field)
        if cached is None:
            if self.fast:
                cached = whoosh_internals.field_lengths(self.reader, field)
            else:
                cached = whoosh_internals.public_field_lengths(self.reader, field)
            self._lengths[field] = cached
        return cached

    @_reading
    def ids(self) -> list[str]:
        """External ids by document number, read from the ``id`` column."""
        if self._ids is None:
            self._ids = list(self.reader.column_reader("id"))
        return self._ids

    def doc_id(self, local: int) -> str:
        """One document's external id, without reading the whole column for it."""
        if self._ids is not None:
            return self._ids[local]
        return str(self.stored(local)["id"])

    def id_index(self) -> dict[str, int]:
        if self._id_index is None:
            self._id_index = {doc_id: n for n, doc_id in enumerate(self.ids())}
        return self._id_index

    @_reading
    def stored(self, docnum: int) -> dict[str, Any]:
        return self.reader.stored_fields(docnum)

    @_reading
    def field_length(self, field: str) -> int:
        return int(self.reader.field_length(field))

    @_reading
    def facet(self, field: str) -> FacetTable:
        table = self._facets.get(field)
        if table is None:
            terms = list(self.reader.field_terms(field)) if field in self.reader.schema else []
            docs_parts: list[IdArray] = []
            vals_parts: list[IdArray] = []
            for index, term in enumerate(terms):
                ids, _ = self.postings(field, term)
                docs_parts.append(ids)
                vals_parts.append(np.full(len(ids), index, dtype=np.int32))
                dropped = self._postings.pop((field, term), None)  # kept in the table instead
                if dropped is not None:
                    self._cached_postings -= len(dropped[0])
            docs = np.concatenate(docs_parts) if docs_parts else np.empty(0, np.int32)
            vals = np.concatenate(vals_parts) if vals_parts else np.empty(0, np.int32)
            table = FacetTable(terms, docs, vals, self.size)
            self._facets[field] = table
        return table

    @_reading
    def terms_within(self, field: str, text: str, maxdist: int, prefix: int) -> set[str]:
        key = (field, text, maxdist, prefix)
        cached = self._within.get(key)
        if cached is None:
            cached = frozenset(self.reader.terms_within(field, text, maxdist, prefix=prefix))
            self._within[key] = cached
            if len(self._within) > _WITHIN_CACHE_SIZE:
                self._within.popitem(last=False)
        else:
            self._within.move_to_end(key)
        return set(cached)

    @_reading
    def expand_prefix(self, field: str, prefix: str) -> list[str]:
        return [
            term.decode("utf-8") if isinstance(term, bytes) else term
            for term in self.reader.expand_prefix(field, prefix)
        ]

    @_reading
    def prefix_frequencies(self, field: str, prefix: str, limit: int) -> dict[str, int]:
        """The first ``limit`` terms starting with ``prefix``, with their doc frequencies."""
        if field not in self.reader.schema:
            return {}
        found: dict[str, int] = {}
        for term, info in itertools.islice(self.reader.iter_prefix(field, prefix), limit):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            found[text] = int(info.doc_frequency())
        return found


_WITHIN_CACHE_SIZE = 2048


class Snapshot:
    """One committed generation: segments side by side in a global document number space."""

    def __init__(self, generation: int, segments: list[SegmentData], deleted: list[set[int]]):
        self.generation = generation
        self.segments = segments
        self.offsets: list[int] = []
        total = 0
        for seg in segments:
            self.offsets.append(total)
            total += seg.size
        self.size = total
        self.live = np.ones(total, dtype=bool)
        for seg_deleted, offset in zip(deleted, self.offsets, strict=True):
            if seg_deleted:
                self.live[np.fromiter(seg_deleted, dtype=np.int64) + offset] = False
        self.count = int(self.live.sum())
        self._df: dict[tuple[str, str], int] = {}
        self._filters: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._avg_length: dict[str, float] = {}
        self._facets: dict[str, FacetIndex] = {}

    def facet(self, field: str) -> FacetIndex:
        index = self._facets.get(field)
        if index is None:
            index = self._facets[field] = FacetIndex(self, field)
        return index

    def doc_frequency(self, field: str, term: str) -> int:
        key = (field, term)
        df = self._df.get(key)
        if df is None:
            df = sum(seg.doc_frequency(field, term) for seg in self.segments)
            if len(self._df) >= _DF_CACHE_TERMS:
                self._df.clear()
            self._df[key] = df
        return df

    def live_frequency(self, field: str, term: str) -> int:
        """Documents still in the index holding ``term`` (deleted ones keep their terms in
        the lexicon until a merge: suggestions must not surface a removed profile's words)."""
        ids = self.postings(field, term)[0]
        return int(self.live[ids].sum()) if len(ids) else 0

    def idf(self, field: str, term: str) -> float:
        df = self.doc_frequency(field, term)
        return float(np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)))

    def postings(self, field: str, term: str) -> tuple[IdArray, np.ndarray]:
        parts = [seg.postings(field, term) for seg in self.segments]
        if not parts:  # an empty index has no segment
            return np.empty(0, np.int32), np.empty(0, np.float32)
        if len(parts) == 1:
            return parts[0]
        ids = np.concatenate([p[0] + off for p, off in zip(parts, self.offsets, strict=True)])
        return ids, np.concatenate([p[1] for p in parts])

    def lengths(self, field: str) -> np.ndarray:
        parts = [seg.lengths(field) for seg in self.segments]
        if not parts:
            return np.empty(0, np.float32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def average_length(self, field: str) -> float:
        avg = self._avg_length.get(field)
        if avg is None:
            total = sum(seg.field_length(field) for seg in self.segments)
            avg = total / self.size if self.size else 1.0
            self._avg_length[field] = avg or 1.0
        return self._avg_length[field]

    def mask_of(self, ids: IdArray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        return mask

    def cached_filter(self, key: tuple[Any, ...], build: Any) -> np.ndarray:
        """Filter masks (facet values, open_to_opportunities) are reused between queries."""
        mask = self._filters.get(key)
        if mask is None:
            mask = build()
            self._filters[key] = mask
            if len(self._filters) > 64:
                self._filters.popitem(last=False)
        return mask

    def lookup(self, doc_id: str) -> int | None:
        """Global document number of the live document with this external id."""
        for seg, off in zip(self.segments, self.offsets, strict=True):
            local = seg.id_index().get(doc_id)
            if local is not None and self.live[local + off]:
                return local + off
        return None

    def numbers_of(self, doc_ids: Sequence[str]) -> IdArray:
        """``lookup`` of each id at once, -1 where there is no live document: one pass over
        the ids per segment (a search locates the caller's whole network, hundreds of ids,
        where an id at a time cost a few microseconds each)."""
        found = np.full(len(doc_ids), -1, dtype=np.int64)
        for seg, off in zip(self.segments, self.offsets, strict=True):
            index = seg.id_index()
            local = np.fromiter((index.get(d, -1) for d in doc_ids), dtype=np.int64,
                                count=len(doc_ids))
            candidate = np.flatnonzero((found < 0) & (local >= 0))  # the first live copy wins
            if len(candidate):
                number = local[candidate] + off
                alive = self.live[number]
                found[candidate[alive]] = number[alive]
        return found

    def locate(self, doc_ids: Iterable[str]) -> IdArray:
        """Global document numbers of the live documents with these external ids."""
        found = self.numbers_of(doc_ids if isinstance(doc_ids, Sequence) else list(doc_ids))
        return found[found >= 0]

    def segment_of(self, docnum: int) -> tuple[SegmentData, int]:
        for seg, off in zip(reversed(self.segments), reversed(self.offsets), strict=True):
            if docnum >= off:
                return seg, docnum - off
        raise IndexError(docnum)

    def doc_id(self, docnum: int) -> str:
        seg, local = self.segment_of(docnum)
        return seg.doc_id(local)

    def all_ids(self) -> set[str]:
        result: set[str] = set()
        for seg, off in zip(self.segments, self.offsets, strict=True):
            live = self.live[off : off + seg.size]
            ids = seg.ids()
            result.update(doc_id for doc_id, alive in zip(ids, live, strict=True) if alive)
        return result

    def terms_within(
        self,
        field: str,
        text: str,
        maxdist: int,
        prefix: int = 1,
        stop: Callable[[], bool] | None = None,
    ) -> set[str]:
        """Terms within ``maxdist`` edits; ``stop()`` true skips the remaining segments."""
        found: set[str] = set()
        for n, seg in enumerate(self.segments):
            if n and stop is not None and stop():
                break
            found |= seg.terms_within(field, text, maxdist, prefix)
        return found

    def expand_prefix(self, field: str, prefix: str) -> set[str]:
        found: set[str] = set()
        for seg in self.segments:
            found.update(seg.expand_prefix(field, prefix))
        return found

    def prefix_frequencies(
        self, field: str, prefix: str, limit: int, stop: Callable[[], bool] | None = None
    ) -> dict[str, int]:
        """Terms starting with ``prefix`` (at most ``limit`` read per segment) and their
        document frequencies; ``stop()`` true skips the remaining segments."""
        found: dict[str, int] = {}
        for n, seg in enumerate(self.segments):
            if n and stop is not None and stop():
                break
            for term, df in seg.prefix_frequencies(field, prefix, limit).items():
                found[term] = found.get(term, 0) + df
        return found
