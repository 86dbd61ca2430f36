"""Run a parsed query against a :class:`~search.segments.Snapshot` with numpy.

Every node evaluates to a dense boolean mask and a float score over all document numbers;
at 100k profiles such arrays cost microseconds to combine, and totals and facet counts fall
out of the final mask for free.

Ranking: BM25 on the full-text field (sum over words), a bonus when the word is in the
person's name (x1.0 of its idf) or skills (x0.5), typo and prefix matches scored lower than
exact words, then the caller's ``boosts`` (network proximity) multiply the score.  Words are
ANDed; when nothing matches all of them, the query is retried as OR (documents matching more
words rank first) and a notice says so.

Typo and prefix expansion is bounded per word and per query (:mod:`search.budget`) and each
word is expanded once per query, even when the OR retry or the suggestion asks again.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from search import analysis, budget
from search.budget import Budget
from search.interface import FacetValue, Hit, SearchQuery, SearchResult
from search.query import All, Any, Node, Not, ParsedQuery, Phrase, Word, plain_words
from search.schema import FACET_FIELDS, TEXT_FIELD
from search.segments import Snapshot

K1 = 1.2
B = 0.75
NAME_BONUS = 1.0
SKILL_BONUS = 0.5
FUZZY_WEIGHT = 0.6
PREFIX_WEIGHT = 0.8
MAX_EXPANSIONS = budget.MAX_PREFIX_TERMS
FACET_LIMIT = 20
LANGUAGE_EDGE = 1.05

_KEYWORD_FIELDS = {"name", "org", "loc", "skill"}

Match = tuple[np.ndarray, np.ndarray]  # (mask, score)


class Evaluator:
    def __init__(self, snap: Snapshot, spend: Budget | None = None) -> None:
        self.snap = snap
        self.unknown: list[str] = []
        self.n = snap.size
        self.budget = spend if spend is not None else Budget()
        # Expansions already computed in this query (the OR retry and the suggestion reuse
        # them; a refused expansion stays refused, so a word is never charged twice).
        self._prefixes: dict[tuple[str, str], list[str]] = {}
        self._within: dict[tuple[str, str], set[str] | None] = {}
        self._typos: dict[tuple[str, str], list[str]] = {}

    def empty(self) -> Match:
        return np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)

    def evaluate(self, node: Node) -> Match:
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Not):
            mask, _ = self.evaluate(node.node)
            return ~mask, np.zeros(self.n, dtype=np.float32)
        if isinstance(node, All):
            mask = np.ones(self.n, dtype=bool)
            score = np.zeros(self.n, dtype=np.float32)
            for child in node.nodes:
                child_mask, child_score = self.evaluate(child)
                mask &= child_mask
                score += child_score
            return mask, score
        assert isinstance(node, Any)
        mask, score = self.empty()
        for child in node.nodes:
            child_mask, child_score = self.evaluate(child)
            mask |= child_mask
            score += child_score
        return mask, score

    # -- leaves -----------------------------------------------------------------------------

    def _bm25(self, term: str, mask: np.ndarray, score: np.ndarray, weight: float = 1.0) -> None:
        ids, tf = self.snap.postings(TEXT_FIELD, term)
        if not len(ids):
            return
        lengths = self.snap.lengths(TEXT_FIELD)[ids]
        norm = K1 * (1.0 - B + B * lengths / self.snap.average_length(TEXT_FIELD))
        values = weight * self.snap.idf(TEXT_FIELD, term) * tf * (K1 + 1.0) / (tf + norm)
        mask[ids] = True
        score[ids] = np.maximum(score[ids], values)

    def _constant(
        self, field: str, terms: Iterable[str], mask: np.ndarray, score: np.ndarray, weight: float
    ) -> None:
        for term in terms:
            ids, _ = self.snap.postings(field, term)
            if len(ids):
                mask[ids] = True
                score[ids] = np.maximum(score[ids], weight * self.snap.idf(field, term))

    def _expand(self, field: str, prefix: str) -> list[str]:
        """The most frequent terms starting with ``prefix``, within the query's budget."""
        key = (field, prefix)
        cached = self._prefixes.get(key)
        if cached is not None:
            return cached
        terms: list[str] = []
        if self.budget.start_prefix():
            frequencies = self.snap.prefix_frequencies(
                field, prefix, budget.MAX_PREFIX_SCAN, stop=self.budget.expired
            )
            ranked = sorted(frequencies, key=lambda t: (-frequencies[t], t))
            terms = sorted(self.budget.take(ranked[:MAX_EXPANSIONS]))
        self._prefixes[key] = terms
        return terms

    def within(self, field: str, text: str) -> set[str] | None:
        """Known terms within a small edit distance of ``text`` (None: not looked up).

        Only words long enough to tell apart and short enough to be cheap are looked up.
        """
        if not 4 <= len(text) <= budget.MAX_FUZZY_LENGTH:
            return None
        key = (field, text)
        if key not in self._within:
            found: set[str] | None = None
            if self.budget.start_fuzzy():
                maxdist = 2 if len(text) >= 6 else 1
                found = self.snap.terms_within(
                    field, text, maxdist, prefix=1, stop=self.budget.expired
                )
                found.discard(text)
            self._within[key] = found
        return self._within[key]

    def _fuzzy(self, field: str, text: str) -> list[str]:
        """The most frequent known terms a typo may stand for, within the query's budget."""
        key = (field, text)
        cached = self._typos.get(key)
        if cached is None:
            found = self.within(field, text) or set()
            ranked = sorted(found, key=lambda t: (-self.snap.doc_frequency(field, t), t))
            cached = self._typos[key] = self.budget.take(ranked[: budget.MAX_FUZZY_TERMS])
        return cached

    def word(self, word: Word) -> Match:
        mask, score = self.empty()
        folded = analysis.fold(word.text)
        if word.field in _KEYWORD_FIELDS:
            field = word.field
            if word.prefix:
                self._constant(field, self._expand(field, folded), mask, score, PREFIX_WEIGHT)
            elif self.snap.doc_frequency(field, folded):
                self._constant(field, [folded], mask, score, 1.0)
            else:
                self._constant(field, self._fuzzy(field, folded), mask, score, FUZZY_WEIGHT)
            return mask, score
        if word.field == "title":
            terms = analysis.query_variants(word.text)
            if word.prefix:
                terms = tuple(self._expand("title", folded))
            self._constant("title", terms, mask, score, 1.0)
            return mask, score
        if word.prefix:
            self._constant("word", self._expand("word", folded), mask, score, PREFIX_WEIGHT)
        else:
            variants = analysis.query_variants(word.text)
            known = [v for v in variants if self.snap.doc_frequency(TEXT_FIELD, v)]
            for term in known:
                self._bm25(term, mask, score)
            if not known and word.exact:
                return mask, score
            if not known:
                plain = analysis.plain(word.text)
                self.unknown.append(word.text)
                self._constant("word", self._fuzzy("word", plain), mask, score, FUZZY_WEIGHT)
                return mask, score
        self._bonus("name", folded, score, mask, NAME_BONUS)
        self._bonus("skill", folded, score, mask, SKILL_BONUS)
        return mask, score

    def _bonus(
        self, field: str, term: str, score: np.ndarray, mask: np.ndarray, weight: float
    ) -> None:
        ids, _ = self.snap.postings(field, term)
        if len(ids):
            ids = ids[mask[ids]]
            score[ids] += weight * self.snap.idf(field, term)

    def phrase(self, phrase: Phrase) -> Match:
        words = [Word(w, phrase.field, exact=phrase.exact) for w in phrase.words]
        mask, score = self.evaluate(All(tuple(words)))
        if phrase.field is not None and phrase.field != "title":
            return mask, score  # short fields: all words present is close enough
        adjacent = np.zeros(self.n, dtype=bool)
        for lang in analysis.LANGUAGES:
            terms = [analysis.stem(w, lang) for w in phrase.words]
            lang_mask = np.ones(self.n, dtype=bool)
            for pair in dict.fromkeys(analysis.bigrams(terms)):
                ids, _ = self.snap.postings("bigram", pair)
                lang_mask &= self.snap.mask_of(ids)
            adjacent |= lang_mask
        return mask & adjacent, score


def _filters(snap: Snapshot, q: SearchQuery) -> np.ndarray:
    mask = snap.live.copy()
    for attr, facet in (("organisation", "f_org"), ("location", "f_loc"), ("skill", "f_skill")):
        value = getattr(q, attr)
        if value:
            key = analysis.facet_key(value)

            def build(facet: str = facet, key: str = key) -> np.ndarray:
                parts = [
                    seg.facet(facet).docs_for_key(key) + off
                    for seg, off in zip(snap.segments, snap.offsets, strict=True)
                ]
                return snap.mask_of(np.concatenate(parts) if parts else np.empty(0, np.int64))

            mask &= snap.cached_filter((facet, key), build)
    if q.open_to_opportunities is not None:
        flag = "1" if q.open_to_opportunities else "0"
        mask &= snap.cached_filter(
            ("open", flag), lambda: snap.mask_of(snap.postings("open", flag)[0])
        )
    if q.allowed_ids is not None:
        mask &= snap.mask_of(snap.locate(q.allowed_ids))
    return mask


def _facets(snap: Snapshot, mask: np.ndarray) -> dict[str, list[tuple[FacetValue, int]]]:
    result: dict[str, list[tuple[FacetValue, int]]] = {}
    for name, field in FACET_FIELDS.items():
        counts = snap.facet(field).counts(mask, FACET_LIMIT)
        if field == "open":
            result[name] = [(value == "1", count) for value, count in counts]
        else:
            result[name] = list(counts)
    return result


def _suggest(
    evaluator: Evaluator, text: str, unknown: list[str], candidates: list[Word], total: int
) -> str | None:
    """Replace unknown (or, when little was found, rare) words by the closest frequent word."""
    if not unknown and total >= 3:
        return None
    snap = evaluator.snap
    suggestion = text
    changed = False
    for word in candidates:
        plain = analysis.plain(word.text)
        df = snap.doc_frequency("word", plain)
        if word.text not in unknown and df > 2:
            continue
        near = evaluator.within("word", plain)  # None for short or long words, or no budget
        if not near:
            continue
        # Live counts read postings: only for the most frequent candidates.
        near = set(
            sorted(near, key=lambda t: (-snap.doc_frequency("word", t), t))[
                : budget.MAX_SUGGESTION_TERMS
            ]
        )
        live = {t: snap.live_frequency("word", t) for t in near}
        best = max((t for t in near if live[t]), key=lambda t: (live[t], t), default=None)
        if best is None or live[best] <= df:
            continue
        lowered = suggestion.casefold()
        at = lowered.find(word.text)
        if at < 0 or suggestion[at + len(word.text) : at + len(word.text) + 1] == ":":
            continue  # an unknown field name ("colour:blue"): the notice already says so
        suggestion = suggestion[:at] + best + suggestion[at + len(word.text) :]
        changed = True
    return suggestion if changed else None


def _term(words: tuple[str, ...]) -> Node:
    if len(words) == 1:
        return Word(words[0], exact=True)
    return Phrase(words, exact=True)


def _or_synonyms(node: Node, words: tuple[str, ...]) -> Node:
    others = analysis.synonyms(words)
    return Any((node, *(_term(o) for o in others))) if others else node


def with_synonyms(node: Node) -> Node:
    """Let "machine learning" also find "apprentissage automatique" (and the reverse).

    A phrase or a free-text word is matched as it is, and runs of adjacent free-text words
    are tried longest first, so "machine learning lyon" gets its first two words expanded.
    """
    if isinstance(node, Word):
        if node.field is None and not node.prefix:
            return _or_synonyms(node, (node.text,))
        return node
    if isinstance(node, Phrase):
        return _or_synonyms(node, node.words) if node.field is None else node
    if isinstance(node, Not):
        return node
    if isinstance(node, Any):
        return Any(tuple(with_synonyms(n) for n in node.nodes))
    out: list[Node] = []
    nodes = list(node.nodes)
    i = 0
    while i < len(nodes):
        for size in range(min(analysis.SYNONYM_MAX_WORDS, len(nodes) - i), 1, -1):
            run_ = nodes[i : i + size]
            if all(isinstance(n, Word) and n.field is None and not n.prefix for n in run_):
                words = tuple(n.text for n in run_ if isinstance(n, Word))
                if analysis.synonyms(words):
                    out.append(_or_synonyms(All(tuple(run_)), words))
                    i += size
                    break
        else:
            out.append(with_synonyms(nodes[i]))
            i += 1
    return out[0] if len(out) == 1 else All(tuple(out))


def _group_counts(snap: Snapshot, q: SearchQuery, mask: np.ndarray) -> dict[str, int]:
    """How many matches lie in each of the caller's id groups (the degree facet's circles)."""
    if not q.group_ids:
        return {}
    return {name: int(mask[snap.locate(ids)].sum()) for name, ids in q.group_ids.items()}


def run(
    snap: Snapshot, parsed: ParsedQuery, q: SearchQuery, spend: Budget | None = None
) -> SearchResult:
    notices = list(parsed.notices)
    evaluator = Evaluator(snap, spend)
    allowed = _filters(snap, q)
    root = with_synonyms(parsed.root) if parsed.root is not None else None
    if root is None:
        mask, score = allowed, np.ones(snap.size, dtype=np.float32)
    else:
        mask, score = evaluator.evaluate(root)
        mask = mask & allowed
        if not mask.any() and isinstance(root, All):
            positives = [n for n in root.nodes if not isinstance(n, Not)]
            negatives = [n for n in root.nodes if isinstance(n, Not)]
            if len(positives) >= 2:
                relaxed = All((Any(tuple(positives)), *negatives))
                mask, score = evaluator.evaluate(relaxed)
                mask = mask & allowed
                if mask.any():
                    notices.append("No profile matched every word; showing partial matches.")
    candidates = np.flatnonzero(mask)
    total = len(candidates)
    scores = score[candidates].astype(np.float64)
    if q.boosts:
        factors = np.ones(snap.size, dtype=np.float64)
        for doc_id, factor in q.boosts.items():
            docnum = snap.lookup(doc_id)
            if docnum is not None:
                factors[docnum] = float(factor)
        scores *= factors[candidates]
    if q.language in analysis.LANGUAGES:
        lang_ids, _ = snap.postings("lang", q.language)
        edge = np.ones(snap.size, dtype=np.float64)
        edge[lang_ids] = LANGUAGE_EDGE
        scores *= edge[candidates]
    page = max(1, q.page)
    per_page = max(1, min(q.per_page, 200))
    wanted = page * per_page
    top = np.argpartition(-scores, wanted - 1)[:wanted] if total > wanted else np.arange(total)
    order = top[np.lexsort((candidates[top], -scores[top]))][(page - 1) * per_page : wanted]
    hits = [Hit(snap.doc_id(int(candidates[i])), float(scores[i])) for i in order]
    facets = _facets(snap, mask) if q.facets else {}
    typed = plain_words(parsed.root)
    unknown = [w for w in evaluator.unknown if w in {t.text for t in typed}
               and not (total and analysis.synonyms((w,)))]  # found under another spelling
    suggestion = _suggest(evaluator, q.text, unknown, typed, total)
    if evaluator.budget.limited:
        notices.append(budget.NOTICE)
    return SearchResult(
        total, hits, facets, suggestion, tuple(notices), _group_counts(snap, q, mask)
    )
