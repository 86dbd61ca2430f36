"""A faster Whoosh segment writer for rebuilds.

Whoosh's writer turns every posting into a 5-tuple (field, bytes, docnum, weight, value),
sorts the whole list at commit (spilling to a pickled external sort past ``limitmb``), then
feeds the codec one posting at a time: with ~230 postings per profile, that is nearly all of
the indexing time.  This writer groups the pre-analysed terms of :class:`TermsField` fields per
term as documents arrive (docnums only grow, so each group is already sorted; only distinct
terms are sorted), in compact arrays, and hands the codec whole 128-posting blocks.

It writes ordinary W3 segments: readers, merges and later incremental commits use stock
Whoosh.  What it needs of Whoosh's internals (the segment flush, the codec's block buffer) is
in :mod:`search.whoosh_internals`; ``WhooshIndex(fast=False)`` builds with Whoosh's own writer
instead, and the two are tested to give the same answers.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any

from search.schema import TermsField
from search.whoosh_internals import BlockSegmentWriter, write_postings

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


class BulkSegmentWriter(BlockSegmentWriter):
    """A SegmentWriter for pre-analysed documents, with :class:`TermPool` and block output."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, TermPool(), **kwargs)

    def add_document(self, **fields: Any) -> None:
        self.start_document()
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
        self.finish_document()

    def write_terms(self, fieldwriter: Any) -> None:
        pool: TermPool = self.pool
        for fieldname in sorted(pool.fields):
            terms = pool.fields[fieldname]
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            # str order is code point order, which is the UTF-8 byte order Whoosh requires.
            for term in sorted(terms):
                ids, freqs = terms[term]
                fieldwriter.start_term(term.encode("utf-8"))
                write_postings(fieldwriter, ids, freqs)
                fieldwriter.finish_term()
            fieldwriter.finish_field()


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
