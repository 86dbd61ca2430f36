"""A faster Whoosh segment writer for rebuilds.

Whoosh's writer turns every posting into a 5-tuple (field, bytes, docnum, weight, value),
sorts the whole list at commit (spilling to a pickled external sort past ``limitmb``), then
feeds the codec one posting at a time: with ~230 postings per profile, that is nearly all of
the indexing time.  This writer groups the pre-analysed terms of :class:`TermsField` fields per
term as documents arrive (docnums only grow, so each group is already sorted; only distinct
terms are sorted), in compact arrays, and hands the codec whole 128-posting blocks.

It writes ordinary W3 segments: readers, merges and later incremental commits use stock
Whoosh.  The block hand-off sets private attributes of ``W3PostingsWriter`` (its block buffer);
if they are missing the writer falls back to the per-posting codec API.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any

from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from search.schema import TermsField

# field -> term -> (docnums, term frequencies or None for presence-only fields)
Postings = dict[str, dict[str, tuple[array, array | None]]]


class TermPool:
    """Stands in for Whoosh's PostingPool; holds postings grouped by field and term."""

    def __init__(self) -> None:
        self.fields: Postings = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's generic path (the ``id`` field): one posting with frequency 1."""
        fieldname, tbytes, docnum, _, _ = item
        terms = self.fields.setdefault(fieldname, {})
        self.fieldnames.add(fieldname)
        term = tbytes.decode("utf-8")
        postings = terms.get(term)
        if postings is None:
            postings = terms[term] = (array("I"), None)
        postings[0].append(docnum)

    def cleanup(self) -> None:
        self.fields = {}


class BulkSegmentWriter(SegmentWriter):
    """A SegmentWriter for pre-analysed documents, with :class:`TermPool` and block output."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = TermPool()

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        docnum = self.docnum
        schema = self.schema
        perdoc = self.perdocwriter
        pool: TermPool = self.pool
        perdoc.start_doc(docnum)
        try:
            for fieldname in sorted(name for name in fields if not name.startswith("_")):
                value = fields[fieldname]
                field = schema[fieldname]
                if isinstance(field, TermsField) and isinstance(value, list):
                    _add_terms(pool, fieldname, field.counted, value, docnum)
                    pool.fieldnames.add(fieldname)
                    perdoc.add_field(fieldname, field, None, len(value) if field.counted else 0)
                    continue
                # Whoosh's own path for the few other fields (id, updated_at).
                length = 0
                if field.indexed:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        length += freq if field.scorable else 0
                        pool.add((fieldname, tbytes, docnum, weight, vbytes))
                perdoc.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type and value is not None:
                    perdoc.add_column_value(
                        fieldname, field.column_type, field.to_column_value(value)
                    )
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        pool: TermPool = self.pool
        for fieldname in sorted(pool.fields):
            terms = pool.fields[fieldname]
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            # str order is code point order, which is the UTF-8 byte order Whoosh requires.
            for term in sorted(terms):
                ids, freqs = terms[term]
                fieldwriter.start_term(term.encode("utf-8"))
                _write_postings(fieldwriter, ids, freqs)
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()


def _add_terms(
    pool: TermPool, fieldname: str, counted: bool, value: list[str], docnum: int
) -> None:
    terms = pool.fields.get(fieldname)
    if terms is None:
        terms = pool.fields[fieldname] = {}
    if counted:
        for term, freq in Counter(value).items():
            postings = terms.get(term)
            if postings is None:
                postings = terms[term] = (array("I"), array("f"))
            postings[0].append(docnum)
            postings[1].append(freq)  # type: ignore[union-attr]
    else:
        for term in set(value):
            postings = terms.get(term)
            if postings is None:
                postings = terms[term] = (array("I"), None)
            postings[0].append(docnum)


def _write_postings(fieldwriter: Any, ids: array, freqs: array | None) -> None:
    weights = freqs if freqs is not None else array("f", [1.0]) * len(ids)
    postwriter: Any = getattr(fieldwriter, "_postwriter", None)
    limit = getattr(postwriter, "_blocklimit", None)
    if limit is None or not hasattr(postwriter, "_write_block"):  # pragma: no cover
        for i, docnum in enumerate(ids):
            vbytes = pack_uint(int(weights[i])) if freqs is not None else b""
            fieldwriter.add(docnum, weights[i], vbytes, None)
        return
    for start in range(0, len(ids), limit):
        if start:
            postwriter._write_block()
        block_weights = weights[start : start + limit]
        postwriter._ids = ids[start : start + limit]
        postwriter._weights = block_weights
        postwriter._values = [pack_uint(int(f)) for f in block_weights] if freqs is not None else []
        postwriter._maxweight = max(block_weights)
