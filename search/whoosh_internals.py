"""Every use of Whoosh's internals in ``search/``, and the check that they are still there.

Nothing else in ``search/`` touches a private Whoosh name, an undocumented Whoosh module or
overrides a private Whoosh method (``tests/search/test_whoosh_internals.py`` scans the
package and fails otherwise).  Each internal backs a fast path that has a slower twin on
Whoosh's public API, and the two are tested against each other on the same indexes
(``tests/search/test_fast_paths.py``: same hits, same order, same scores).

Internals used (whoosh-reloaded 2.7.5, W3 codec), and why:

1. ``whoosh.codec.whoosh3`` (not in Whoosh's API reference): ``W3Codec`` is subclassed as
   :class:`SearchCodec` (512-posting blocks; ``length_stats`` off, whose per-posting
   ``stat()`` halved indexing speed) and ``LENGTHS_COLUMN`` names the field-length column.
   The on-disk layout the fast paths below read is this codec's.
2. Posting lists, :func:`decode_postings`: ``SegmentReader._terms.matcher()`` (the raw
   ``W3LeafMatcher``, deleted documents included), then per block ``_read_data()``,
   ``_data`` (the unpickled ``(ids deltas, weights, values)`` tuple), ``_blocklength`` and
   ``_next_block()``: one unpickle and one numpy ``cumsum`` per block instead of a Python
   call per posting.  Public twin: :func:`public_postings` (``reader.postings()``).
3. Field lengths, :func:`field_lengths`: ``SegmentReader._perdoc._cached_reader()`` on the
   column ``_<field>_len``, and that column reader's ``_dbfile``, ``_basepos`` and
   ``_count``: every document's length byte in one read.  Public twin:
   :func:`public_field_lengths` (``reader.doc_field_length()`` per document).
4. The bulk writer, :class:`BlockSegmentWriter`: overrides ``SegmentWriter._flush_segment``
   (terms come from the caller's own pool, already grouped per term), calls
   ``_check_state()`` and sets ``_added`` as ``add_document`` does; :func:`write_postings`
   fills ``W3FieldWriter._postwriter``'s block buffer (``_blocklimit``, ``_ids``,
   ``_weights``, ``_values``, ``_maxweight``, ``_write_block()``) a whole block at a time.
   Public twin: Whoosh's own ``ix.writer()`` (see ``WhooshIndex(fast=False)``).
5. ``whoosh.index.TOC`` (undocumented): ``TOC.read`` lists a commit's segments with their
   deletions, so segment readers survive a refresh; ``TOC._filename`` names the commit's
   file (a snapshot's files are watched for deletion).  Not a fast path: Whoosh has no
   public way to open one segment reader per segment and keep it across commits.
6. ``whoosh.util.numeric.byte_to_length``: Whoosh's one-byte field-length encoding, which
   the PostgreSQL backend reproduces so that both backends score alike.
7. ``whoosh.system.pack_uint``: the value bytes of a ``Frequency`` posting
   (:func:`frequency_value`), which ``formats.Frequency`` writes but offers no method for.

Version policy: the package is pinned (``whoosh-reloaded==2.7.5``, docs/decisions.md 9).
:func:`layout_problem` checks, once per process when a Whoosh index is first opened, the
installed distribution and version, that each internal above exists with the expected
shape, and that a small index written with the fast writer decodes with the fast readers
exactly as Whoosh's public API reads it.  Anything else makes every read and write of every
Whoosh index raise :class:`search.interface.IndexUnavailable` (the engine answers 503
``search_unavailable``) instead of answering from a layout nobody checked.  Importing this
module never fails on an unknown Whoosh: the check reports it.
"""

from __future__ import annotations

import functools
import importlib.metadata
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import whoosh
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

try:  # undocumented modules: their absence is reported by layout_problem(), not raised here
    from whoosh.codec import whoosh3
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec
    from whoosh.index import TOC
    from whoosh.system import pack_uint
    from whoosh.util.numeric import byte_to_length
except ImportError as exc:
    _IMPORT_PROBLEM: str | None = f"a Whoosh module is missing: {exc}"
    W3Codec = object
else:
    _IMPORT_PROBLEM = None

DISTRIBUTION = "whoosh-reloaded"
SUPPORTED_VERSION = "2.7.5"
# Distributions that also install the ``whoosh`` module: never alongside the pinned one.
CONFLICTING_DISTRIBUTIONS = ("whoosh",)
BLOCK_LIMIT = 512

IdArray = np.ndarray


class LayoutError(Exception):
    """The installed Whoosh is not the one whose internals this module was written for."""


class SearchCodec(W3Codec):  # type: ignore[misc,valid-type]
    """Whoosh's default codec without per-block length statistics, with bigger blocks.

    Those statistics only feed Whoosh's own block-skipping scorer, which we do not use, and
    collecting them stats a file for every posting of an unscored field (half of the bulk
    indexing time).  Field lengths for BM25 are still written as a column.
    """

    length_stats = False

    def __init__(self, blocklimit: int = BLOCK_LIMIT) -> None:
        # Bigger blocks than Whoosh's 128: fewer pickles to write and to decode per query.
        super().__init__(blocklimit=blocklimit, compression=3)


def frequency_value(freq: int) -> bytes:
    """The value a ``formats.Frequency`` posting stores for a term frequency."""
    value: bytes = pack_uint(freq)
    return value


@functools.cache
def length_table() -> np.ndarray:
    """Field length by Whoosh's one-byte code (index 0..255); read-only."""
    if _IMPORT_PROBLEM is not None:
        raise LayoutError(_IMPORT_PROBLEM)
    table = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
    table.flags.writeable = False
    return table


# -- reading ------------------------------------------------------------------------------


def decode_postings(reader: SegmentReader, field: str, term: str) -> tuple[IdArray, np.ndarray]:
    """Document numbers (deleted ones included) and weights of one term, block by block."""
    fmt = reader.schema[field].format
    matcher = reader._terms.matcher(field, term.encode("utf-8"), fmt)
    ids_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    while matcher.is_active():
        matcher._read_data()
        raw_ids, raw_weights, _ = matcher._data
        count = matcher._blocklength
        ids_parts.append(np.cumsum(np.asarray(raw_ids, dtype=np.int32), dtype=np.int32))
        if raw_weights is None:
            weight_parts.append(np.ones(count, dtype=np.float32))
        elif isinstance(raw_weights, float):
            weight_parts.append(np.full(count, raw_weights, dtype=np.float32))
        else:
            weight_parts.append(np.asarray(raw_weights, dtype=np.float32))
        matcher._next_block()
    if not ids_parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


def public_postings(reader: SegmentReader, field: str, term: str) -> tuple[IdArray, np.ndarray]:
    """The same through Whoosh's public matcher, one call per posting.

    Whoosh's matcher leaves out the documents deleted when ``reader`` was opened; callers
    only ever count documents through the snapshot's live mask, which excludes them too.
    """
    matcher = reader.postings(field, term)
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)


def field_lengths(reader: SegmentReader, field: str) -> np.ndarray:
    """Every document's length of ``field`` (0 where absent), from the column in one read."""
    lengths = np.zeros(reader.doc_count_all(), dtype=np.float32)
    column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
    if column is not None:
        raw = column._dbfile.get(column._basepos, column._count)
        codes = np.frombuffer(raw, dtype=np.uint8)
        lengths[: len(codes)] = length_table()[codes]
    return lengths


def public_field_lengths(reader: SegmentReader, field: str) -> np.ndarray:
    """The same through ``reader.doc_field_length``, one call per document."""
    return np.array(
        [reader.doc_field_length(n, field, 0) for n in range(reader.doc_count_all())],
        dtype=np.float32,
    )


def latest_toc(storage: Any, indexname: str, schema: Any = None) -> Any:
    """The index's latest commit: ``.generation`` and ``.segments`` (with deletions)."""
    return TOC.read(storage, indexname, schema=schema)


def toc_filename(indexname: str, generation: int) -> str:
    """The file a commit's table of contents is written to."""
    return str(TOC._filename(indexname, generation))


# -- writing ------------------------------------------------------------------------------


class BlockSegmentWriter(SegmentWriter):
    """A SegmentWriter whose postings come from :meth:`write_terms`, not Whoosh's pool.

    ``pool`` replaces Whoosh's ``PostingPool``: Whoosh calls its ``add((field, bytes,
    docnum, weight, value))`` for postings it makes itself (fields added the ordinary way)
    and its ``cleanup()``.  Subclasses add documents between :meth:`start_document` and
    :meth:`finish_document`, and write every term of the segment in :meth:`write_terms`
    with :func:`write_postings`.
    """

    def __init__(self, ix: Any, pool: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = pool

    def start_document(self) -> None:
        self._check_state()

    def finish_document(self) -> None:
        self._added = True
        self.docnum += 1

    def write_terms(self, fieldwriter: Any) -> None:
        raise NotImplementedError("a BlockSegmentWriter writes its terms itself")

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        self.write_terms(self.fieldwriter)
        self.fieldwriter.close()


def write_postings(fieldwriter: Any, ids: Sequence[int], freqs: Sequence[float] | None) -> None:
    """Hand one term's postings (sorted ids; frequencies, or None for presence) to the codec
    in whole blocks; between ``fieldwriter.start_term`` and ``finish_term``."""
    weights: Sequence[float] = freqs if freqs is not None else array("f", [1.0]) * len(ids)
    postwriter = fieldwriter._postwriter
    limit = postwriter._blocklimit
    for start in range(0, len(ids), limit):
        if start:
            postwriter._write_block()
        block_weights = weights[start : start + limit]
        postwriter._ids = ids[start : start + limit]
        postwriter._weights = block_weights
        postwriter._values = (
            [pack_uint(int(f)) for f in block_weights] if freqs is not None else []
        )
        postwriter._maxweight = max(block_weights)


# -- the layout check -----------------------------------------------------------------------


# The classes and attributes used above, checked for presence before any index opens (their
# behaviour is checked by the round trip).
_ATTRIBUTES: tuple[tuple[str, Callable[[], Any], str], ...] = (
    ("SegmentWriter", lambda: SegmentWriter, "_flush_segment"),
    ("SegmentWriter", lambda: SegmentWriter, "_check_state"),
    ("SegmentReader", lambda: SegmentReader, "doc_field_length"),
    ("W3Codec", lambda: W3Codec, "length_stats"),
    ("W3LeafMatcher", lambda: whoosh3.W3LeafMatcher, "_read_data"),
    ("W3LeafMatcher", lambda: whoosh3.W3LeafMatcher, "_next_block"),
    ("W3PostingsWriter", lambda: whoosh3.W3PostingsWriter, "_write_block"),
    ("W3PerDocReader", lambda: whoosh3.W3PerDocReader, "_cached_reader"),
    ("TOC", lambda: TOC, "read"),
    ("TOC", lambda: TOC, "_filename"),
)


def _installed_version() -> str:
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise LayoutError(f"the {DISTRIBUTION} distribution is not installed") from None
    for other in CONFLICTING_DISTRIBUTIONS:
        try:
            found = importlib.metadata.version(other)
        except importlib.metadata.PackageNotFoundError:
            continue
        raise LayoutError(f"{other} {found} is installed beside {DISTRIBUTION} {version}: "
                          "both install the whoosh module; uninstall it")
    module_version = ".".join(str(part) for part in getattr(whoosh, "__version__", ()))
    if version != SUPPORTED_VERSION or module_version != SUPPORTED_VERSION:
        raise LayoutError(f"{DISTRIBUTION} {version} (module whoosh {module_version or '?'}) "
                          f"is installed; search/ reads the internals of {SUPPORTED_VERSION}")
    return version


def _check_attributes() -> None:
    if _IMPORT_PROBLEM is not None:
        raise LayoutError(_IMPORT_PROBLEM)
    for owner, get, name in _ATTRIBUTES:
        if not hasattr(get(), name):
            raise LayoutError(f"Whoosh's {owner} has no attribute {name}")


def _check_round_trip() -> None:
    """Write a small index with the fast writer; the fast readers must agree with Whoosh's
    public API on every term and length (a changed block tuple, column or buffer fails)."""
    from whoosh.filedb.filestore import RamStorage

    from search.bulk import BulkSegmentWriter
    from search.schema import build_schema

    docs = [
        {"id": f"d{n}", "text": ["common"] * (1 + n % 3) + [f"w{n % 7}"], "word": ["common"]}
        for n in range(20)  # several blocks for "common", one partial
    ]
    schema = build_schema()
    ix = RamStorage().create_index(schema, indexname="CHECK")
    writer = BulkSegmentWriter(ix, codec=SearchCodec(blocklimit=8), compound=False)
    try:
        for doc in docs:
            writer.add_document(**doc)
    except BaseException:
        writer.cancel()  # removes its temporary directory
        raise
    writer.commit(merge=False)
    toc = latest_toc(ix.storage, "CHECK", schema)
    reader = SegmentReader(ix.storage, schema, toc.segments[0], generation=toc.generation)
    try:
        for field in ("text", "word", "id"):
            for term in _terms(reader, field):
                fast, slow = decode_postings(reader, field, term), public_postings(
                    reader, field, term)
                if not (np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])):
                    raise LayoutError(f"postings of {field}:{term} decode differently")
        for field in ("text", "word"):
            if not np.array_equal(field_lengths(reader, field),
                                  public_field_lengths(reader, field)):
                raise LayoutError(f"lengths of {field} decode differently")
        if reader.doc_frequency("text", "common") != len(docs):
            raise LayoutError("the bulk writer's postings are not Whoosh's")
    finally:
        reader.close()


def _terms(reader: SegmentReader, field: str) -> Iterable[str]:
    for term in reader.lexicon(field):
        yield term.decode("utf-8") if isinstance(term, bytes) else term


@functools.cache
def layout_problem() -> str | None:
    """Why the installed Whoosh cannot be used by ``search/`` (None: it is the one pinned).

    Computed once per process (tests clear the cache with ``layout_problem.cache_clear()``).
    """
    try:
        _installed_version()
        _check_attributes()
        _check_round_trip()
    except LayoutError as exc:
        return f"unsupported Whoosh: {exc}"
    except Exception as exc:  # an internal that is there but behaves differently
        return f"unsupported Whoosh: its internals failed the layout check ({exc!r})"
    return None
