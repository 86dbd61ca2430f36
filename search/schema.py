"""The Whoosh schema and the mapping from a profile dict to pre-analysed field values.

Every indexed field receives a list of ready-made terms from :mod:`search.analysis`; the
field type only counts them.  That skips Whoosh's tokenizer/filter chain (most of its
indexing time) and keeps one analysis for both index and query.

Fields, and why each exists:

- ``text``: stemmed, folded terms of every prose field, with term frequencies (BM25).
- ``bigram``: adjacent ``text`` terms joined by ``|``: a phrase is a conjunction of pairs,
  so no positions are stored (positions would double the index and its write time).
- ``word``: the unstemmed folded vocabulary, for prefix search, typo tolerance, suggestions.
- ``name`` / ``title`` / ``org`` / ``loc`` / ``skill``: folded words of short fields, for
  ``name:``, ``title:``, ``company:``, ``location:``, ``skill:`` and to boost name/skill hits.
- ``f_org`` / ``f_loc`` / ``f_skill`` / ``open``: exact values, original casing, for facets
  and filters.
- ``id`` is stored and kept in a column (``ids()`` reads it without unpickling documents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from whoosh import formats
from whoosh.fields import ID, STORED, FieldType, Schema

from search import analysis
from search.whoosh_internals import frequency_value

TEXT_FIELD = "text"
FACET_FIELDS: dict[str, str] = {
    "organisation": "f_org",
    "location": "f_loc",
    "skills": "f_skill",
    "open_to_opportunities": "open",
}
PROSE_KEYS: tuple[str, ...] = (
    "headline",
    "position",
    "summary",
    "experiences",
    "education",
    "offers",
    "seeks",
)


class TermsField(FieldType):
    """A field whose value is a list of terms already produced by :mod:`search.analysis`.

    With ``counted`` the field keeps term frequencies and lengths (it can be scored); otherwise
    it only records which documents hold a term, the cheapest posting format.
    """

    def __init__(self, counted: bool = False) -> None:
        fmt = formats.Frequency() if counted else formats.Existence()
        super().__init__(format=fmt, analyzer=None, scorable=counted)
        self.counted = counted

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if isinstance(value, str):
            value = value.split("\t")
        if self.counted:
            for term, freq in Counter(value).items():
                yield term.encode("utf-8"), freq, float(freq), frequency_value(freq)
        else:
            for term in set(value):
                yield term.encode("utf-8"), 1, 1.0, b""

    def process_text(self, qstring: str, mode: str = "", **kwargs: Any) -> Iterator[str]:
        return iter(qstring.split("\t"))


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        updated_at=STORED(),
        text=TermsField(counted=True),
        bigram=TermsField(),
        word=TermsField(),
        name=TermsField(),
        title=TermsField(),
        org=TermsField(),
        loc=TermsField(),
        skill=TermsField(),
        f_org=TermsField(),
        f_loc=TermsField(),
        f_skill=TermsField(),
        open=TermsField(),
        lang=TermsField(),
    )


def _text(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return "\n".join(str(v) for v in value)
    return str(value)


def _skills(doc: Mapping[str, Any]) -> list[str]:
    value = doc.get("skills") or []
    if isinstance(value, str):
        value = [s for s in value.split(",")]
    return [s.strip() for s in value if s and s.strip()]


def document_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Analyse one profile dict into the keyword arguments of ``writer.add_document``."""
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError(f"search document without a string id: {doc_id!r}")
    language = doc.get("language")
    lang: str = language if isinstance(language, str) and language in analysis.LANGUAGES else "fr"
    skills = _skills(doc)
    name = _text(doc, "name")
    organisation = _text(doc, "organisation").strip()
    location = _text(doc, "location").strip()

    text: list[str] = []
    pairs: list[str] = []
    vocabulary: set[str] = set()
    title_terms: list[str] = []
    # Each source is analysed on its own so that no bigram spans two fields.
    sources = [name, organisation, location, *skills] + [_text(doc, k) for k in PROSE_KEYS]
    for source in sources:
        content = analysis.content_words(source)
        terms = [analysis.stem(w, lang) for w in content]
        text.extend(terms)
        pairs.extend(analysis.bigrams(terms))
        vocabulary.update(analysis.plain(w) for w in content)
    for key in ("headline", "position"):
        title_terms.extend(analysis.stems(_text(doc, key), lang))

    fields: dict[str, Any] = {
        "id": doc_id,
        "text": text,
        "bigram": pairs,
        "word": sorted(vocabulary),
        "name": analysis.keyword_terms(name),
        "title": title_terms,
        "org": analysis.keyword_terms(organisation),
        "loc": analysis.keyword_terms(location),
        "skill": [t for s in skills for t in analysis.keyword_terms(s)],
        "f_org": [organisation] if organisation else [],
        "f_loc": [location] if location else [],
        "f_skill": skills,
        "open": ["1" if doc.get("open_to_opportunities") else "0"],
        "lang": [lang],
    }
    if doc.get("updated_at") is not None:
        fields["updated_at"] = str(doc["updated_at"])
    # Whoosh rejects empty lists for nothing, but skipping them saves per-field work.
    return {k: v for k, v in fields.items() if v != []}
