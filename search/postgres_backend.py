"""The PostgreSQL implementation of :class:`search.interface.SearchIndex`.

Several web machines with separate ``var/`` directories can share one index this way.  The
documents are analysed in Python by :mod:`search.analysis` through the same
:func:`search.schema.document_fields` as Whoosh, and stored pre-analysed: each field's terms
become lexemes ``<field code>:<term>`` of one ``tsvector`` (GIN-indexed), so PostgreSQL never
stems or folds anything itself and French/English analysis is identical on both backends.

Queries are answered by the same code as Whoosh (:func:`search.evaluate.run` over a
:class:`search.segments.Snapshot`): each process keeps the namespace's per-document columns
(id, insertion order, text length, language, facets) in numpy arrays, reloaded when the
namespace's version changes, and asks PostgreSQL only for posting lists (one GIN lookup per
term, cached until the next write) and for vocabulary lookups (prefixes, typos).  Scores,
filters, facets, totals, the AND-then-OR fallback and suggestions are therefore those of the
Whoosh path.  Each search reads in one REPEATABLE READ transaction, so it sees one version.

Tables (created here if absent; owned by this package, not by the engine's migrations)::

    search_documents   (namespace, doc_id) -> seq, columns, tsv    one row per document
    search_terms       (namespace, lexeme) -> df                   prefix and typo vocabulary
    search_namespaces  namespace -> version                        bumped by every write

Writers serialise on a transaction-level advisory lock per namespace; a rebuild replaces the
namespace's rows in one transaction, so readers see the old or the new index, never a mix.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import psycopg
from psycopg import sql

from search import whoosh_internals
from search.interface import (
    Document,
    IndexBusy,
    IndexUnavailable,
    QueryError,
    ReconcileReport,
)
from search.reading import SnapshotReads
from search.schema import TEXT_FIELD, document_fields
from search.segments import FacetTable, Snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")

# Field -> lexeme prefix in the tsvector.  Terms never contain ":" (see analysis._WORD_RE).
FIELD_CODES: dict[str, str] = {
    "text": "t",
    "bigram": "b",
    "word": "w",
    "name": "n",
    "title": "h",
    "org": "o",
    "loc": "l",
    "skill": "s",
}
# Fields whose vocabulary is kept in search_terms (prefix expansion and typo tolerance).
VOCABULARY_FIELDS = ("word", "name", "title", "org", "loc", "skill")
_VOCABULARY_CODES = {FIELD_CODES[f] + ":" for f in VOCABULARY_FIELDS}
# Facet, filter and language fields are answered from the in-process columns.
_COLUMN_FIELDS = {"f_org", "f_loc", "f_skill", "open", "lang"}
# A text term's frequency is written in binary as extra lexemes "f<bit>:<term>" for tf - 1,
# so reading it needs only the GIN index: decompressing each matching row's tsvector (as
# ts_rank or unnest would) costs ~30 µs a row, most of a query's time.  Capped at 4096.
TF_BITS = tuple(1 << i for i in range(12))
MAX_TF = 1 << len(TF_BITS)
# PostgreSQL refuses lexemes of 2 KiB or more; no query word can be that long anyway.
_MAX_LEXEME_BYTES = 2000
REBUILD_BATCH = 1000
_POSTINGS_CACHE_SIZE = 4_000_000
_LENGTH_TABLE = whoosh_internals.length_table()  # Whoosh's one-byte length encoding

_DDL = (
    "CREATE SEQUENCE IF NOT EXISTS search_documents_seq",
    """CREATE TABLE IF NOT EXISTS search_documents (
        namespace text NOT NULL,
        doc_id text NOT NULL,
        seq bigint NOT NULL,
        lang text NOT NULL,
        open boolean NOT NULL,
        text_len integer NOT NULL,
        organisation text NOT NULL,
        location text NOT NULL,
        skills text[] NOT NULL,
        updated_at text,
        tsv tsvector NOT NULL,
        PRIMARY KEY (namespace, doc_id))""",
    "CREATE INDEX IF NOT EXISTS search_documents_tsv ON search_documents USING gin (tsv)",
    "CREATE INDEX IF NOT EXISTS search_documents_order ON search_documents (namespace, seq)",
    """CREATE TABLE IF NOT EXISTS search_terms (
        namespace text NOT NULL,
        lexeme text COLLATE "C" NOT NULL,
        df integer NOT NULL,
        PRIMARY KEY (namespace, lexeme))""",
    """CREATE TABLE IF NOT EXISTS search_namespaces (
        namespace text PRIMARY KEY,
        version bigint NOT NULL)""",
)
TABLES = ("search_documents", "search_terms", "search_namespaces")
_DDL_LOCK = "maillon.search.ddl"
_COPY_COLUMNS = (
    "namespace", "doc_id", "seq", "lang", "open", "text_len", "organisation", "location",
    "skills", "updated_at", "tsv",
)


def conninfo(dsn_or_engine: Any) -> str:
    """A libpq connection string from a URL (SQLAlchemy's ``+psycopg`` form too) or an Engine."""
    url = getattr(dsn_or_engine, "url", dsn_or_engine)
    if not isinstance(url, str):  # a SQLAlchemy URL object
        url = url.render_as_string(hide_password=False)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(f"the PostgreSQL search backend needs a postgresql:// URL, not {scheme!r}")
    return f"postgresql://{rest}"


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _clean(value: str) -> str:
    return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL; Whoosh ignored it


class Row:
    """One analysed document as stored: its columns, tsvector literal and vocabulary."""

    __slots__ = ("doc_id", "lang", "open", "text_len", "organisation", "location", "skills",
                 "updated_at", "tsv", "vocabulary")

    def __init__(self, doc: Document) -> None:
        fields = document_fields(doc)
        self.doc_id: str = _clean(fields["id"])
        self.lang: str = fields["lang"][0]
        self.open: bool = fields["open"] == ["1"]
        text: list[str] = fields.get("text", [])
        self.text_len = len(text)
        self.organisation = _clean(fields.get("f_org", [""])[0])
        self.location = _clean(fields.get("f_loc", [""])[0])
        self.skills = [_clean(s) for s in fields.get("f_skill", [])]
        updated = fields.get("updated_at")
        self.updated_at: str | None = _clean(updated) if updated is not None else None
        parts: list[str] = []
        for term, tf in Counter(text).items():
            if len(term.encode()) + 6 >= _MAX_LEXEME_BYTES:
                continue
            parts.append(_quote("t:" + term))
            extra = min(tf, MAX_TF) - 1
            parts.extend(_quote(f"f{bit}:{term}") for bit in TF_BITS if extra & bit)
        vocabulary: set[str] = set()
        for field, code in FIELD_CODES.items():
            if field == "text":
                continue
            for term in set(fields.get(field, ())):
                lexeme = f"{code}:{term}"
                if len(lexeme.encode()) >= _MAX_LEXEME_BYTES:
                    continue
                parts.append(_quote(lexeme))
                if field in VOCABULARY_FIELDS:
                    vocabulary.add(lexeme)
        self.tsv = " ".join(parts)
        self.vocabulary = vocabulary

    def values(self, namespace: str, seq: int) -> tuple[Any, ...]:
        return (namespace, self.doc_id, seq, self.lang, self.open, self.text_len,
                self.organisation, self.location, self.skills, self.updated_at, self.tsv)


def _next(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (C collation)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance (insert, delete, substitute), or ``limit + 1`` once it must exceed it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class PostgresSegment:
    """The documents of one namespace at one version: columns in memory, postings on demand.

    It plays the part of :class:`search.segments.SegmentData` for :class:`Snapshot`; document
    numbers follow ``seq`` (insertion order, a replaced document moves to the end, as in
    Whoosh), so ties between equal scores break the same way on both backends.
    """

    def __init__(self, index: PostgresIndex, version: int, rows: Sequence[tuple[Any, ...]]):
        self.index = index
        self.segment_id = f"{index.namespace}@{version}"
        self.size = len(rows)
        self._ids: list[str] = [r[0] for r in rows]
        self._id_index: dict[str, int] | None = None
        self.seqs = np.array([r[1] for r in rows], dtype=np.int64)
        raw_lengths = np.array([r[2] for r in rows], dtype=np.int64)
        self.total_length = int(raw_lengths.sum())
        # Whoosh keeps field lengths as one byte; BM25 must see the same rounded values.
        # whoosh.util.numeric.length_to_byte, vectorised (bisect_left into the same table).
        codes = np.minimum(np.searchsorted(_LENGTH_TABLE, raw_lengths, side="left"), 255)
        self._lengths = {TEXT_FIELD: _LENGTH_TABLE[codes]}
        self._columns: dict[str, list[list[str]]] = {
            "lang": [[r[3]] for r in rows],
            "open": [["1" if r[4] else "0"] for r in rows],
            "f_org": [[r[5]] if r[5] else [] for r in rows],
            "f_loc": [[r[6]] if r[6] else [] for r in rows],
            "f_skill": [list(dict.fromkeys(r[7])) for r in rows],
        }
        self._updated: list[str | None] = [r[8] for r in rows]
        self._facets: dict[str, FacetTable] = {}
        self._df: dict[tuple[str, str], int] = {}
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict())
        self._cached_postings = 0

    def close(self) -> None:
        self._postings.clear()

    # -- what Snapshot and the evaluator ask of a segment --------------------------------------

    def ids(self) -> list[str]:
        return self._ids

    def doc_id(self, local: int) -> str:
        return self._ids[local]

    def id_index(self) -> dict[str, int]:
        if self._id_index is None:
            self._id_index = {doc_id: n for n, doc_id in enumerate(self._ids)}
        return self._id_index

    def stored(self, docnum: int) -> dict[str, Any]:
        return {"id": self._ids[docnum], "updated_at": self._updated[docnum]}

    def lengths(self, field: str) -> np.ndarray:
        return self._lengths.get(field, np.zeros(self.size, dtype=np.float32))

    def has_term(self, field: str, term: str) -> bool:
        return self.doc_frequency(field, term) > 0

    def doc_frequency(self, field: str, term: str) -> int:
        df = self._df.get((field, term))
        if df is None:
            df = self._df[(field, term)] = len(self.postings(field, term)[0])
        return df

    def facet(self, field: str) -> FacetTable:
        table = self._facets.get(field)
        if table is None:
            values = self._columns.get(field, [[] for _ in range(self.size)])
            terms = sorted({v for vs in values for v in vs})  # Whoosh's lexicon order
            number = {t: i for i, t in enumerate(terms)}
            docs = [d for d, vs in enumerate(values) for _ in vs]
            vals = [number[v] for vs in values for v in vs]
            table = FacetTable(terms, np.array(docs, dtype=np.int64),
                               np.array(vals, dtype=np.int64), self.size)
            self._facets[field] = table
        return table

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and term frequencies of one term (cached for this version)."""
        key = (field, term)
        cached = self._postings.get(key)
        if cached is not None:
            self._postings.move_to_end(key)
            return cached
        if field in _COLUMN_FIELDS:
            table = self.facet(field)
            wanted = [i for i, t in enumerate(table.terms) if t == term]
            ids = table.docs[np.isin(table.vals, wanted)] if wanted else table.docs[:0]
            result = (np.sort(ids).astype(np.int64), np.ones(len(ids), dtype=np.float32))
        else:
            result = self._fetch(field, term)
        self._postings[key] = result
        self._cached_postings += len(result[0])
        while self._cached_postings > _POSTINGS_CACHE_SIZE and len(self._postings) > 1:
            _, (old, _) = self._postings.popitem(last=False)
            self._cached_postings -= len(old)
        return result

    def _fetch(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        code = FIELD_CODES.get(field)
        lexeme = f"{code}:{term}"
        if code is None or len(lexeme.encode()) >= _MAX_LEXEME_BYTES:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        # No "namespace =" condition: it would tempt the planner to scan the namespace and
        # decompress every tsvector.  seq is unique across namespaces, so rows of another
        # namespace simply find no document number here.
        arms = [(lexeme, 0)]
        if field == TEXT_FIELD:
            arms += [(f"f{bit}:{term}", bit) for bit in TF_BITS]
        query = " UNION ALL ".join(
            "SELECT seq, %s::int FROM search_documents WHERE tsv @@ %s::tsquery" for _ in arms)
        rows = self.index._query(query, [v for lex, bit in arms for v in (bit, _quote(lex))])
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        data = np.array(rows, dtype=np.int64)
        docnums = np.searchsorted(self.seqs, data[:, 0])
        known = docnums < self.size
        known[known] = self.seqs[docnums[known]] == data[known, 0]
        docnums, bits = docnums[known], data[known, 1]
        present = np.zeros(self.size, dtype=bool)
        present[docnums[bits == 0]] = True
        extra = np.zeros(self.size, dtype=np.int64)
        np.add.at(extra, docnums, bits)
        ids = np.flatnonzero(present)
        return ids.astype(np.int64), (extra[ids] + 1).astype(np.float32)

    def field_length(self, field: str) -> int:
        return self.total_length if field == TEXT_FIELD else 0

    def expand_prefix(self, field: str, prefix: str) -> list[str]:
        return list(self.prefix_frequencies(field, prefix, None))

    def prefix_frequencies(self, field: str, prefix: str, limit: int | None) -> dict[str, int]:
        """The first ``limit`` terms starting with ``prefix`` (lexicon order), with their
        document frequencies."""
        if field not in VOCABULARY_FIELDS or not prefix:
            return {}
        start = f"{FIELD_CODES[field]}:{prefix}"
        return self._vocabulary(field, start, _next(start), None, limit)

    def terms_within(self, field: str, text: str, maxdist: int, prefix: int) -> set[str]:
        """Known terms within ``maxdist`` edits of ``text``, the first ``prefix`` letters kept."""
        if field not in VOCABULARY_FIELDS or len(text) < prefix:
            return set()
        start = f"{FIELD_CODES[field]}:{text[:prefix]}"
        lengths = (len(text) - maxdist, len(text) + maxdist)
        candidates = self._vocabulary(field, start, _next(start), lengths, None)
        tail = text[prefix:]
        return {t for t in candidates if levenshtein(t[prefix:], tail, maxdist) <= maxdist}

    def _vocabulary(
        self, field: str, start: str, stop: str, lengths: tuple[int, int] | None,
        limit: int | None,
    ) -> dict[str, int]:
        code_length = len(FIELD_CODES[field]) + 1
        query = ("SELECT lexeme, df FROM search_terms WHERE namespace = %s"
                 " AND lexeme >= %s AND lexeme < %s")
        params: list[Any] = [self.index.namespace, start, stop]
        if lengths is not None:
            query += " AND char_length(lexeme) BETWEEN %s AND %s"
            params += [lengths[0] + code_length, lengths[1] + code_length]
        if limit is not None:
            query += " ORDER BY lexeme LIMIT %s"
            params.append(limit)
        terms: dict[str, int] = {}
        for lexeme, df in self.index._query(query, params):
            term = lexeme[code_length:]
            self._df.setdefault((field, term), df)
            terms[term] = df
        return terms


class PostgresSnapshot(Snapshot):
    """A :class:`Snapshot` over one :class:`PostgresSegment` (no deleted documents)."""

    def __init__(self, version: int, segment: PostgresSegment) -> None:
        super().__init__(version, [segment], [set()])  # type: ignore[list-item]
        self.segment = segment

    def average_length(self, field: str) -> float:
        if field != TEXT_FIELD or not self.size:
            return 1.0
        return self.segment.total_length / self.size or 1.0


class PostgresIndex(SnapshotReads):
    """One namespace (an instance's slug) of the shared search tables."""

    def __init__(
        self,
        dsn_or_engine: Any,
        namespace: str,
        *,
        lock_timeout: float = 10.0,
        statement_timeout: float = 10.0,
    ) -> None:
        if not namespace:
            raise ValueError("a PostgreSQL search index needs a namespace")
        self.conninfo = conninfo(dsn_or_engine)
        self.namespace = namespace
        self.lock_timeout = lock_timeout
        self.statement_timeout = statement_timeout
        self.recovery: str | None = None
        # Set when the tables vanished: reads and writes refuse until a rebuild.
        self._unavailable: str | None = None
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._reader: psycopg.Connection[Any] | None = None
        self._writer: psycopg.Connection[Any] | None = None
        self._snap: PostgresSnapshot | None = None
        with self._lock:
            self._ensure_tables(self._reader_connection())

    # -- connections ----------------------------------------------------------------------

    def _connect(self, *, reader: bool) -> psycopg.Connection[Any]:
        timeout_ms = int(self.statement_timeout * 1000)
        # Index scans always: a sequential scan decompresses every row's tsvector.
        conn = psycopg.connect(self.conninfo, autocommit=False,
                               options=f"-c statement_timeout={timeout_ms} -c enable_seqscan=off",
                               application_name=f"maillon-search:{self.namespace}")
        if reader:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        return conn

    def _reader_connection(self) -> psycopg.Connection[Any]:
        if self._reader is None or self._reader.closed or self._reader.broken:
            self._reader = self._connect(reader=True)
        return self._reader

    def _writer_connection(self) -> psycopg.Connection[Any]:
        if self._writer is None or self._writer.closed or self._writer.broken:
            self._writer = self._connect(reader=False)
        return self._writer

    def _ensure_tables(self, reader: psycopg.Connection[Any]) -> None:
        """Create the tables on first use; an advisory lock keeps concurrent openers apart."""
        with reader.transaction():
            exists = reader.execute(
                "SELECT to_regclass('search_documents') IS NOT NULL"
                " AND to_regclass('search_terms') IS NOT NULL"
                " AND to_regclass('search_namespaces') IS NOT NULL").fetchone()
        if exists and exists[0]:
            return
        writer = self._writer_connection()
        with writer.transaction():
            writer.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                           (_DDL_LOCK,))
            for statement in _DDL:
                writer.execute(statement)

    def _query(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run a read in the reader's current transaction (the caller holds ``_lock``)."""
        return self._reader_connection().execute(query, params).fetchall()  # type: ignore[arg-type]

    # -- reading --------------------------------------------------------------------------

    def _read(self, use: Callable[[PostgresSnapshot], T]) -> T:
        """Run ``use`` in one REPEATABLE READ transaction, on a snapshot of that version.

        A lost connection is reopened once; missing tables are recreated, and reads then
        raise IndexUnavailable until a rebuild (never "nobody found" from an empty index).
        """
        with self._lock:
            if self._unavailable is not None:
                raise IndexUnavailable(self._unavailable)
            for attempt in (1, 2):
                conn = self._reader_connection()
                try:
                    with conn.transaction():
                        return use(self._current())
                except psycopg.errors.QueryCanceled:
                    raise QueryError(
                        "This search took too long; please make it more specific.") from None
                except psycopg.errors.UndefinedTable:
                    raise self._recreate() from None
                except psycopg.OperationalError:
                    if attempt == 2 or not conn.broken:
                        raise
                    log.warning("search: connection to PostgreSQL lost, reconnecting")
            raise AssertionError("unreachable")

    def _recreate(self) -> IndexUnavailable:
        """Tables dropped under us: recreate them empty; a rebuild is needed before use."""
        self._snap = None
        self._ensure_tables(self._reader_connection())
        self._unavailable = self.recovery = (
            f"search tables for {self.namespace!r} were missing and were recreated empty; "
            "rebuild the index")
        log.warning(self.recovery)
        return IndexUnavailable(self.recovery)

    def _current(self) -> PostgresSnapshot:
        row = self._query("SELECT version FROM search_namespaces WHERE namespace = %s",
                          (self.namespace,))
        version = int(row[0][0]) if row else 0
        if self._snap is None or self._snap.generation != version:
            rows = self._query(
                "SELECT doc_id, seq, text_len, lang, open, organisation, location, skills,"
                " updated_at FROM search_documents WHERE namespace = %s ORDER BY seq",
                (self.namespace,))
            if self._snap is not None:
                self._snap.segment.close()
            self._snap = PostgresSnapshot(version, PostgresSegment(self, version, rows))
        return self._snap

    def refresh(self) -> None:
        """Reload the document columns if another process wrote; one query otherwise."""
        self._read(lambda snap: None)

    def count(self) -> int:
        return self._read(lambda snap: snap.count)

    def stored(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields (id, updated_at) of one document, for diagnostics."""

        def find(snap: PostgresSnapshot) -> dict[str, Any] | None:
            docnum = snap.lookup(doc_id)
            return None if docnum is None else snap.segment.stored(docnum)

        return self._read(find)

    # -- writing --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, rebuild: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A transaction holding the namespace's writer lock; it bumps the version on success.

        Only a rebuild may write to an index that needs one (a partial index would pass for
        a complete one).
        """
        if self._unavailable is not None and not rebuild:
            raise IndexUnavailable(self._unavailable)
        with self._write_lock:
            try:
                with self._transaction() as conn:
                    yield conn
            except psycopg.errors.UndefinedTable:
                with self._lock:
                    raise self._recreate() from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        conn = self._writer_connection()
        with conn.transaction():
            deadline = time.monotonic() + self.lock_timeout
            key = f"maillon.search:{self.namespace}"
            while not conn.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                                   (key,)).fetchone()[0]:  # type: ignore[index]
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"search index {self.namespace!r} is locked by another writer "
                        f"(waited {self.lock_timeout:.1f}s)")
                time.sleep(0.02)
            yield conn
            # From the sequence, not +1: a version is never reused, even after the row was
            # removed, so a reader can never mistake new content for what it holds.
            conn.execute(
                "INSERT INTO search_namespaces (namespace, version)"
                " VALUES (%s, nextval('search_documents_seq'))"
                " ON CONFLICT (namespace) DO UPDATE SET version = excluded.version",
                (self.namespace,))

    def _seqs(self, conn: psycopg.Connection[Any], n: int) -> list[int]:
        rows = conn.execute("SELECT nextval('search_documents_seq') FROM generate_series(1, %s)",
                            (n,)).fetchall()
        return [int(r[0]) for r in rows]

    def _old_vocabulary(
        self, conn: psycopg.Connection[Any], ids: list[str], delta: Counter[str]
    ) -> None:
        """Subtract the vocabulary of the stored versions of ``ids`` (and lock their rows)."""
        rows = conn.execute(
            "SELECT tsvector_to_array(tsv) FROM search_documents"
            " WHERE namespace = %s AND doc_id = ANY(%s) FOR UPDATE", (self.namespace, ids))
        for (lexemes,) in rows:
            for lexeme in lexemes:
                if lexeme[:2] in _VOCABULARY_CODES:
                    delta[lexeme] -= 1

    def _replace(self, conn: psycopg.Connection[Any], rows: list[Row], delta: Counter[str]) -> None:
        """Insert or replace rows, each moving to the end of the document order."""
        self._old_vocabulary(conn, [r.doc_id for r in rows], delta)
        seqs = self._seqs(conn, len(rows))
        columns = sql.SQL(", ").join(map(sql.Identifier, _COPY_COLUMNS))
        updates = sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in _COPY_COLUMNS[2:])
        statement = sql.SQL(
            "INSERT INTO search_documents ({}) VALUES ({}) ON CONFLICT (namespace, doc_id)"
            " DO UPDATE SET {}").format(
                columns, sql.SQL(", ").join(sql.Placeholder() * len(_COPY_COLUMNS)), updates)
        with conn.cursor() as cur:
            cur.executemany(statement, [r.values(self.namespace, s) for r, s in zip(
                rows, seqs, strict=True)])
        for row in rows:
            delta.update(row.vocabulary)

    def _copy(self, conn: psycopg.Connection[Any], rows: list[Row], delta: Counter[str]) -> None:
        """Insert rows known to be absent, with COPY (rebuilds)."""
        seqs = self._seqs(conn, len(rows))
        columns = sql.SQL(", ").join(map(sql.Identifier, _COPY_COLUMNS))
        with conn.cursor() as cur, cur.copy(
            sql.SQL("COPY search_documents ({}) FROM STDIN").format(columns)
        ) as copy:
            for row, seq in zip(rows, seqs, strict=True):
                copy.write_row(row.values(self.namespace, seq))
                delta.update(row.vocabulary)

    def _apply_vocabulary(self, conn: psycopg.Connection[Any], delta: Counter[str]) -> None:
        changes = [(lexeme, n) for lexeme, n in delta.items() if n]
        if not changes:
            return
        conn.execute(
            "INSERT INTO search_terms (namespace, lexeme, df)"
            " SELECT %s, lexeme, df FROM unnest(%s::text[], %s::int[]) AS u(lexeme, df)"
            " ON CONFLICT (namespace, lexeme) DO UPDATE SET df = search_terms.df + excluded.df",
            (self.namespace, [c[0] for c in changes], [c[1] for c in changes]))
        dropped = [lexeme for lexeme, n in changes if n < 0]
        if dropped:
            conn.execute("DELETE FROM search_terms WHERE namespace = %s AND lexeme = ANY(%s)"
                         " AND df <= 0", (self.namespace, dropped))

    def upsert(self, docs: Iterable[Document]) -> int:
        """Add or replace documents by id, in one transaction."""
        batch: dict[str, Row] = {}
        for doc in docs:
            row = Row(doc)
            batch[row.doc_id] = row
        if not batch:
            return 0
        with self._writing() as conn:
            delta: Counter[str] = Counter()
            self._replace(conn, list(batch.values()), delta)
            self._apply_vocabulary(conn, delta)
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = sorted({_clean(str(i)) for i in ids})
        if not wanted:
            return 0
        with self._writing() as conn:
            delta: Counter[str] = Counter()
            self._old_vocabulary(conn, wanted, delta)
            deleted = conn.execute(
                "DELETE FROM search_documents WHERE namespace = %s AND doc_id = ANY(%s)",
                (self.namespace, wanted)).rowcount
            self._apply_vocabulary(conn, delta)
        return deleted

    def rebuild(
        self, docs: Iterable[Document], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document of the namespace in one transaction: readers switch at commit.

        A document id seen twice keeps its last version, at the position of the last one.
        """
        with self._writing(rebuild=True) as conn:
            conn.execute("DELETE FROM search_documents WHERE namespace = %s", (self.namespace,))
            conn.execute("DELETE FROM search_terms WHERE namespace = %s", (self.namespace,))
            delta: Counter[str] = Counter()
            seen: set[str] = set()
            pending: dict[str, Row] = {}
            count = 0

            def flush() -> None:
                fresh = [r for r in pending.values() if r.doc_id not in seen]
                again = [r for r in pending.values() if r.doc_id in seen]
                if fresh:
                    self._copy(conn, fresh, delta)
                if again:
                    self._replace(conn, again, delta)
                seen.update(pending)
                pending.clear()

            for doc in docs:
                row = Row(doc)
                pending.pop(row.doc_id, None)  # a repeat moves to the end, as in Whoosh
                pending[row.doc_id] = row
                count += 1
                if len(pending) >= REBUILD_BATCH:
                    flush()
                if progress is not None and count % 1000 == 0:
                    progress(count)
            flush()
            self._apply_vocabulary(conn, delta)
        self.recovery = self._unavailable = None
        if progress is not None:
            progress(count)
        return len(seen)

    def reconcile(
        self,
        expected_ids: Collection[str],
        fetch: Callable[[set[str]], Iterable[Document]],
        versions: Mapping[str, str] | None = None,
    ) -> ReconcileReport:
        """Compare with the database's ids (and optional updated_at versions), then repair."""
        expected = set(expected_ids)

        def compare(snap: PostgresSnapshot) -> tuple[set[str], set[str]]:
            indexed = snap.all_ids()
            stale: set[str] = set()
            for doc_id in expected & indexed if versions else ():
                want = versions.get(doc_id) if versions else None
                docnum = snap.lookup(doc_id)
                if want is None or docnum is None:
                    continue
                if str(snap.segment.stored(docnum).get("updated_at")) != str(want):
                    stale.add(doc_id)
            return indexed, stale

        indexed, stale = self._read(compare)
        missing = expected - indexed
        extra = indexed - expected
        repaired = 0
        if missing or stale:
            repaired += self.upsert(fetch(missing | stale))
        if extra:
            repaired += self.delete(extra)
        return ReconcileReport(frozenset(missing), frozenset(extra), frozenset(stale), repaired)

    def drop(self) -> None:
        """Remove every row of this namespace (tests, or an instance that was deleted)."""
        with self._writing(rebuild=True) as conn:
            conn.execute("DELETE FROM search_documents WHERE namespace = %s", (self.namespace,))
            conn.execute("DELETE FROM search_terms WHERE namespace = %s", (self.namespace,))

    def close(self) -> None:
        with self._lock, self._write_lock:
            for conn in (self._reader, self._writer):
                if conn is not None and not conn.closed:
                    conn.close()
            self._reader = self._writer = None
            if self._snap is not None:
                self._snap.segment.close()
            self._snap = None
