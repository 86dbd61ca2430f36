"""Run a parsed query against a :class:`~search.segments.Snapshot` with numpy.

Every node evaluates to a dense boolean mask and a float score over all document numbers;
at 100k profiles such arrays cost microseconds to combine, and totals and facet counts fall
out of the final mask for free.

Ranking (docs/search.md, "Ranking"): BM25 on the full-text field (sum over words), bonuses
when the word is in the person's headline or position (x0.5 of its idf), name (x1.0) or
skills (x0.5), words typed together found together x1.3, synonyms (search/data/synonyms.toml)
scored as their best spelling scaled to the typed length, typo and prefix matches scored
lower than exact words, then the caller's ``boosts`` (network proximity) multiply the score.
Words are ANDed; when nothing matches all of them, partial matches are shown (with a notice),
ordered first by how much of the query they cover (a qualifier such as "senior" counts half).

Typo and prefix expansion is bounded per word and per query (:mod:`search.budget`) and each
word is expanded once per query, even when the OR retry or the suggestion asks again.

Only visible documents count: live ones not in the query's ``excluded_ids``. Whether a word is
known, which terms a typo or a prefix stands for, word statistics (idf), suggestions, totals
and facets never depend on a deleted, hidden or suspended profile the index still holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np

from search import analysis, budget
from search.budget import Budget
from search.interface import FacetValue, Hit, QueryError, SearchQuery, SearchResult
from search.query import All, Any, Node, Not, ParsedQuery, Phrase, Word, parse, plain_words
from search.schema import FACET_FIELDS, TEXT_FIELD
from search.segments import Snapshot

K1 = 1.2
B = 0.75
NAME_BONUS = 1.0
SKILL_BONUS = 0.5
TITLE_BONUS = 0.5
PHRASE_BOOST = 1.3
QUALIFIER_WEIGHT = 0.5
SYNONYM_WEIGHT = 0.9
FUZZY_WEIGHT = 0.6
PREFIX_WEIGHT = 0.8
MAX_EXPANSIONS = budget.MAX_PREFIX_TERMS
FACET_LIMIT = 20
# Partial matches are ranked by the share of the query they cover, in this many steps.
COVERAGE_LEVELS = 1000
LANGUAGE_EDGE = 1.05

_KEYWORD_FIELDS = {"name", "org", "loc", "skill"}

Match = tuple[np.ndarray, np.ndarray]  # (mask, score)


class Evaluator:
    def __init__(
        self, snap: Snapshot, spend: Budget | None = None, visible: np.ndarray | None = None
    ) -> None:
        self.snap = snap
        self.unknown: list[str] = []
        self.n = snap.size
        self.budget = spend if spend is not None else Budget()
        # The documents a query may know about (see the module docstring).
        self.visible = visible if visible is not None else snap.live
        self._visible_count = int(self.visible.sum())
        self._frequencies: dict[tuple[str, str], int] = {}
        # Expansions already computed in this query (the OR retry and the suggestion reuse
        # them; a refused expansion stays refused, so a word is never charged twice).
        self._prefixes: dict[tuple[str, str], list[str]] = {}
        self._within: dict[tuple[str, str], set[str] | None] = {}
        self._typos: dict[tuple[str, str], list[str]] = {}

    def empty(self) -> Match:
        return np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)

    def frequency(self, field: str, term: str) -> int:
        """Visible documents holding ``term`` (the lexicon's count also holds deleted
        documents, kept until a merge, and hidden ones the index has not dropped yet)."""
        key = (field, term)
        count = self._frequencies.get(key)
        if count is None:
            ids = self.snap.postings(field, term)[0]
            count = self._frequencies[key] = int(self.visible[ids].sum()) if len(ids) else 0
        return count

    def idf(self, field: str, term: str) -> float:
        """``Snapshot.idf`` over the visible documents only."""
        df = self.frequency(field, term)
        return float(np.log(1.0 + (self._visible_count - df + 0.5) / (df + 0.5)))

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
            typed = [n.text for n in node.nodes if isinstance(n, Word)
                     and n.field is None and not n.prefix and not n.exact]
            if len(typed) == len(node.nodes) >= 2 and mask.any():
                # Words typed together and found together, in that order, rank first.
                score[mask & self.adjacent(tuple(typed))] *= PHRASE_BOOST
            return mask, score
        assert isinstance(node, Any)
        mask, score = self.empty()
        if is_synonym_group(node):
            # Other spellings of what was typed: never worth more than the typed words, so a
            # profile holding both counts once, and a longer spelling is scaled to the typed
            # length (a three-word spelling would otherwise outweigh a one-word abbreviation).
            typed_length = _length(node.nodes[0])
            for i, child in enumerate(node.nodes):
                child_mask, child_score = self.evaluate(child)
                mask |= child_mask
                weight = 1.0 if i == 0 else SYNONYM_WEIGHT * typed_length / _length(child)
                np.maximum(score, np.float32(weight) * child_score, out=score)
            return mask, score
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
        values = weight * self.idf(TEXT_FIELD, term) * tf * (K1 + 1.0) / (tf + norm)
        mask[ids] = True
        score[ids] = np.maximum(score[ids], values)

    def _constant(
        self, field: str, terms: Iterable[str], mask: np.ndarray, score: np.ndarray, weight: float
    ) -> None:
        for term in terms:
            ids, _ = self.snap.postings(field, term)
            if len(ids):
                mask[ids] = True
                score[ids] = np.maximum(score[ids], weight * self.idf(field, term))

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
            shown = (t for t in ranked if self.frequency(field, t))  # none of a hidden profile
            terms = sorted(self.budget.take(list(itertools.islice(shown, MAX_EXPANSIONS))))
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
            found = {t for t in self.within(field, text) or set() if self.frequency(field, t)}
            ranked = sorted(found, key=lambda t: (-self.frequency(field, t), t))
            cached = self._typos[key] = self.budget.take(ranked[: budget.MAX_FUZZY_TERMS])
        return cached

    def word(self, word: Word) -> Match:
        mask, score = self.empty()
        folded = analysis.fold(word.text)
        if word.field in _KEYWORD_FIELDS:
            field = word.field
            if word.prefix:
                self._constant(field, self._expand(field, folded), mask, score, PREFIX_WEIGHT)
            elif self.frequency(field, folded):
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
            known = [v for v in variants if self.frequency(TEXT_FIELD, v)]
            for term in known:
                self._bm25(term, mask, score)
            if word.exact:
                if not known:
                    return mask, score
                # Another spelling is matched as written (plurals aside), not by its stem:
                # "developer" must not find "Sales Development Representative".
                written = self.empty()[0]
                for form in _written_forms(analysis.plain(word.text)):
                    written |= self.snap.mask_of(self.snap.postings("word", form)[0])
                mask &= written
                score *= written
            if not known:
                plain = analysis.plain(word.text)
                self.unknown.append(word.text)
                for near in closest(plain, self._fuzzy("word", plain)):
                    self._scored_word(near, mask, score, FUZZY_WEIGHT)
                return mask, score
            self._title_bonus(known, score, mask, 1.0)
        if not word.exact:  # another spelling of a title or a field is not a name
            self._bonus("name", folded, score, mask, NAME_BONUS)
        self._bonus("skill", folded, score, mask, SKILL_BONUS)
        return mask, score

    def _scored_word(self, text: str, mask: np.ndarray, score: np.ndarray, weight: float) -> None:
        """Score a known word the way a typed one is (BM25, title, name and skill bonuses)."""
        part_mask, part_score = self.empty()
        variants = [v for v in analysis.query_variants(text)
                    if self.frequency(TEXT_FIELD, v)]
        for term in variants:
            self._bm25(term, part_mask, part_score)
        self._title_bonus(variants, part_score, part_mask, 1.0)
        self._bonus("name", text, part_score, part_mask, NAME_BONUS)
        self._bonus("skill", text, part_score, part_mask, SKILL_BONUS)
        mask |= part_mask
        np.maximum(score, weight * part_score, out=score)

    def _title_bonus(
        self, terms: Iterable[str], score: np.ndarray, mask: np.ndarray, weight: float
    ) -> None:
        """A word of the headline or position counts more than one of the summary."""
        best = np.zeros(self.n, dtype=np.float32)
        for term in terms:
            ids, _ = self.snap.postings("title", term)
            if len(ids):
                best[ids] = np.maximum(best[ids], self.idf("title", term))
        score += (weight * TITLE_BONUS) * best * mask

    def _bonus(
        self, field: str, term: str, score: np.ndarray, mask: np.ndarray, weight: float
    ) -> None:
        ids, _ = self.snap.postings(field, term)
        if len(ids):
            ids = ids[mask[ids]]
            score[ids] += weight * self.idf(field, term)

    def phrase(self, phrase: Phrase) -> Match:
        words = [Word(w, phrase.field, exact=phrase.exact) for w in phrase.words]
        mask, score = self.evaluate(All(tuple(words)))
        if phrase.field is not None and phrase.field != "title":
            return mask, score  # short fields: all words present is close enough
        return mask & self.adjacent(phrase.words), score

    def adjacent(self, words: tuple[str, ...]) -> np.ndarray:
        """Documents holding ``words`` next to each other, in order (in either language)."""
        adjacent = np.zeros(self.n, dtype=bool)
        for lang in analysis.LANGUAGES:
            terms = [analysis.stem(w, lang) for w in words]
            lang_mask = np.ones(self.n, dtype=bool)
            for pair in dict.fromkeys(analysis.bigrams(terms)):
                ids, _ = self.snap.postings("bigram", pair)
                lang_mask &= self.snap.mask_of(ids)
            adjacent |= lang_mask
        return adjacent

    # -- partial matches ----------------------------------------------------------------------

    def coverage(self, node: Node) -> tuple[np.ndarray, np.ndarray, float]:
        """How much of ``node`` each document covers: (covered weight, score, full weight).

        Used when no document matches every word: a word counts 1 (a qualifier such as
        "senior" or "vp" 0.5), a typed "phrase" all or nothing, a synonym's spelling word by
        word, alternatives (OR, synonyms) by the best-covered one, exclusions filter.
        """
        zeros = np.zeros(self.n, dtype=np.float32)
        if isinstance(node, Word):
            mask, score = self.evaluate(node)
            weight = QUALIFIER_WEIGHT if node.field is None and analysis.is_qualifier(
                node.text) else 1.0
            return mask * np.float32(weight), score, weight
        if isinstance(node, Phrase):
            if node.exact:  # a synonym's spelling, added by the engine: its words count apart
                words = tuple(Word(w, node.field, exact=True) for w in node.words)
                return self.coverage(All(words))
            mask, score = self.evaluate(node)
            weight = float(len(node.words))
            return mask * np.float32(weight), score, weight
        if isinstance(node, Not):
            return zeros, zeros.copy(), 0.0
        if isinstance(node, All):
            covered, score, total = zeros, zeros.copy(), 0.0
            keep = np.ones(self.n, dtype=bool)
            for child in node.nodes:
                if isinstance(child, Not):
                    keep &= self.evaluate(child)[0]
                    continue
                child_cov, child_score, child_total = self.coverage(child)
                covered = covered + child_cov
                score += child_score
                total += child_total
            return covered * keep, score * keep, total
        assert isinstance(node, Any)
        parts = [self.coverage(child) for child in node.nodes]
        # Another spelling covers what was typed (one word of "lab director" is half of
        # "head of lab"); between alternatives typed with OR, the longest counts.
        synonym = is_synonym_group(node)
        total = parts[0][2] if synonym else max(p[2] for p in parts)
        covered, score = zeros, zeros.copy()
        for i, (child_cov, child_score, child_total) in enumerate(parts):
            if child_total:
                covered = np.maximum(covered, child_cov * np.float32(total / child_total))
            if synonym:  # as in evaluate(): the best spelling, scaled to the typed length
                weight = 1.0 if i == 0 else SYNONYM_WEIGHT * _length(node.nodes[0]) / _length(
                    node.nodes[i])
                np.maximum(score, np.float32(weight) * child_score, out=score)
            else:
                score += child_score
        return covered, score, total


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance counting a swap of two adjacent letters as one edit ("pyhton")."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def closest(text: str, candidates: Iterable[str]) -> list[str]:
    """The candidates nearest to a mistyped word: "menusier" means "menuisier" (one letter
    away), not "meunier" (two), however rare and so heavily weighted the farther one is."""
    distances = {c: edit_distance(text, c) for c in candidates}
    best = min(distances.values(), default=0)
    return sorted(c for c, d in distances.items() if d == best)


def visible_docs(snap: Snapshot, q: SearchQuery) -> np.ndarray:
    """Live documents the query does not exclude: the only ones that may count."""
    if not q.excluded_ids:
        return snap.live
    return snap.live & ~snap.mask_of(snap.locate(q.excluded_ids))


def _filters(snap: Snapshot, q: SearchQuery, visible: np.ndarray) -> np.ndarray:
    mask = visible.copy()
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
    evaluator: Evaluator, text: str, unknown: list[str], allowed: np.ndarray, total: int
) -> str | None:
    """Replace each unknown word by the closest indexed word, when that finds more, exactly.

    No suggestion when every word was found as typed (there are exact hits, or partial ones
    of real words), and none unless the corrected query matches every word without typo
    tolerance and finds at least as many profiles; the replacement is an indexed word (folded:
    the caller may restore its accents), in the typed word's case ("HELENE" stays capitals).
    """
    if not unknown:
        return None
    snap = evaluator.snap
    suggestion = text
    changed = False
    for typed in dict.fromkeys(unknown):
        plain = analysis.plain(typed)
        near = evaluator.within("word", plain)  # None for short or long words, or no budget
        if not near:
            return None
        # Visible counts (already read when the word was typo-matched), the most frequent.
        live = {t: evaluator.frequency("word", t) for t in near}
        near = set(sorted(near, key=lambda t: (-live[t], t))[: budget.MAX_SUGGESTION_TERMS])
        found = [t for t in near if live[t]]
        if not found:
            return None  # the corrected query would still miss this word
        best = min(found, key=lambda t: (edit_distance(plain, t), -live[t], t))
        lowered = suggestion.casefold()
        at = lowered.find(typed)
        if at < 0 or suggestion[at + len(typed) : at + len(typed) + 1] == ":":
            continue  # an unknown field name ("colour:blue"): the notice already says so
        written = suggestion[at : at + len(typed)]
        suggestion = suggestion[:at] + _cased(written, best) + suggestion[at + len(typed) :]
        changed = True
    if not changed:
        return None
    try:
        corrected = parse(suggestion)
    except QueryError:
        return None
    if corrected.root is None:
        return None
    check = Evaluator(snap, evaluator.budget, evaluator.visible)
    check._within, check._typos = evaluator._within, evaluator._typos  # never twice a word
    mask, _ = check.evaluate(with_synonyms(corrected.root))
    found_total = int((mask & allowed).sum())
    if check.unknown or found_total == 0 or found_total < total:
        return None
    return suggestion


def _cased(like: str, word: str) -> str:
    """``word`` in the case of what the user typed."""
    if len(like) > 1 and like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _written_forms(plain: str) -> tuple[str, ...]:
    """A word, its plurals and feminines (-e, -le: "logicielle"), as the ``word`` field holds
    them (folded; the feminines :func:`analysis.masculine` knows are already masculine)."""
    return tuple(plain + end for end in ("", "s", "x", "e", "es", "le", "les", "ne", "nes"))


def is_synonym_group(node: Any) -> bool:
    """An alternative added by :func:`with_synonyms`: what was typed, then exact spellings."""
    return len(node.nodes) >= 2 and all(
        isinstance(n, Word | Phrase) and n.exact for n in node.nodes[1:])


def _length(node: Node) -> int:
    if isinstance(node, Phrase):
        return len(node.words)
    if isinstance(node, All | Any):
        return sum(_length(n) for n in node.nodes if not isinstance(n, Not)) or 1
    return 1


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
    """How many matches lie in each of the caller's id groups (the degree facet's circles),
    counted without ``allowed_ids``: what restricting the query to that group would find."""
    if not q.group_ids:
        return {}
    return {name: int(mask[snap.locate(ids)].sum()) for name, ids in q.group_ids.items()}


def run(
    snap: Snapshot, parsed: ParsedQuery, q: SearchQuery, spend: Budget | None = None
) -> SearchResult:
    notices = list(parsed.notices)
    visible = visible_docs(snap, q)
    evaluator = Evaluator(snap, spend, visible)
    # The group counts (degree facet) ignore ``allowed_ids`` (the degree filter): each count
    # is what choosing that group as the filter would show.
    filtered = _filters(snap, q, visible)
    allowed = filtered
    if q.allowed_ids is not None:
        allowed = filtered & snap.mask_of(snap.locate(q.allowed_ids))
    root = with_synonyms(parsed.root) if parsed.root is not None else None
    tier: np.ndarray | None = None
    if root is None:
        matched = filtered
        mask, score = allowed, np.ones(snap.size, dtype=np.float32)
    else:
        matched, score = evaluator.evaluate(root)
        matched = matched & filtered
        mask = matched & allowed
        if not mask.any():
            # Nobody has every word: show who covers most of the query, best covered first.
            covered, relaxed_score, full = evaluator.coverage(root)
            if full > 1.0:
                relaxed = (covered > 0) & allowed
                if relaxed.any():
                    if not matched.any():  # the wider groups fall back the same way
                        matched = (covered > 0) & filtered
                    mask, score = relaxed, relaxed_score
                    tier = np.rint(covered * (COVERAGE_LEVELS / full))
                    notices.append("No profile matched every word; showing partial matches.")
    candidates = np.flatnonzero(mask)
    total = len(candidates)
    scores = score[candidates].astype(np.float64)
    if q.boosts:
        factors = np.ones(snap.size, dtype=np.float64)
        boosted = list(q.boosts)
        numbers = snap.numbers_of(boosted)
        known = numbers >= 0
        factors[numbers[known]] = np.fromiter(
            (float(q.boosts[doc_id]) for doc_id in boosted), dtype=np.float64,
            count=len(boosted))[known]
        scores *= factors[candidates]
    if q.language in analysis.LANGUAGES:
        lang_ids, _ = snap.postings("lang", q.language)
        edge = np.ones(snap.size, dtype=np.float64)
        edge[lang_ids] = LANGUAGE_EDGE
        scores *= edge[candidates]
    # Coverage first (partial matches only), then score: one key, so one partition.
    key = scores
    if tier is not None and total:
        key = tier[candidates] * (scores.max() + 1.0) + scores
    page = max(1, q.page)
    per_page = max(1, min(q.per_page, 200))
    wanted = page * per_page
    top = np.argpartition(-key, wanted - 1)[:wanted] if total > wanted else np.arange(total)
    order = top[np.lexsort((candidates[top], -key[top]))][(page - 1) * per_page : wanted]
    hits = [Hit(snap.doc_id(int(candidates[i])), float(scores[i])) for i in order]
    facets = _facets(snap, mask) if q.facets else {}
    typed = plain_words(parsed.root)
    unknown = [w for w in evaluator.unknown if w in {t.text for t in typed}
               and not (total and analysis.synonyms((w,)))]  # found under another spelling
    suggestion = _suggest(evaluator, q.text, unknown, allowed, total)
    if evaluator.budget.limited:
        notices.append(budget.NOTICE)
    return SearchResult(
        total, hits, facets, suggestion, tuple(notices), _group_counts(snap, q, matched)
    )
