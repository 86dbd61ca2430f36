"""Text analysis shared by indexing and querying, in plain Python.

Both sides of the index must turn words into the same terms, so this module is the single
place where that happens; the Whoosh fields only split on spaces.  Keeping it backend-free
means a PostgreSQL backend can reuse it (or mirror it with ``unaccent`` + snowball).

Order matters: lower-case, map feminine French job titles to the masculine form, stem with the
snowball stemmer of the document's language (it expects accents), and only then fold accents.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from whoosh.lang import stemmer_for_language

LANGUAGES: tuple[str, ...] = ("fr", "en")

# A word: letters/digits, optionally followed by "+"/"#" (c++, c#) or dotted parts (node.js).
# Apostrophes and hyphens split words, so "l'école" gives "l" + "école" and the elided article
# is dropped as a stop word.
_WORD_RE = re.compile(r"[^\W_]+(?:[+#]+|(?:\.[^\W_]+)+)?")

_STOP_WORDS_TEXT = """
    a an and are as at be by for from in into is it of on or the to with
    au aux avec ce ces d dans de des du elle en est et il j l la le les leur m
    mes mon n ne nos notre ou par pas pour qu que qui s sa se ses son sur t ta
    un une vos votre y
"""
_STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})

_STEMMERS = {lang: stemmer_for_language(lang) for lang in LANGUAGES}  # Snowball


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Remove accents and ligatures so "ecole" finds "École" (Whoosh folds nothing itself)."""
    word = word.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Split text into lower-cased words (accents kept: stemmers need them)."""
    return _WORD_RE.findall(text.casefold()) if text else []


def _vowel(ch: str) -> bool:
    return fold(ch) in "aeiouy"


@lru_cache(maxsize=100_000)
def masculine(word: str) -> str:
    """Map a feminine French job title to its masculine form (développeuse -> développeur).

    Applied at index and query time alike, so either form finds both.  Adjectives in -euse
    whose masculine is -eux (rigoureuse, curieuse) are left alone; a few collisions of rare
    words are harmless because the mapping is the same on both sides.
    """
    if word.endswith("s") and len(word) > 5:
        base = masculine(word[:-1])
        return base + "s" if base != word[:-1] else word
    if len(word) < 6:
        return word
    if word.endswith("trice"):
        return word[:-5] + "teur"
    if word.endswith("ienne"):
        return word[:-2]
    if word.endswith("euse"):
        before = word[:-4]
        if before.endswith(("i", "u")) or (before.endswith("r") and _vowel(before[-2])):
            return word  # curieuse, fougueuse, rigoureuse: adjectives in -eux
        return before + "eur"
    if word.endswith("eure"):
        return word[:-1]
    if word.endswith(("ière", "llère")):
        return word[:-3] + "er"
    if len(word) >= 7 and word.endswith(("ante", "ente")):
        return word[:-1]
    return word


@lru_cache(maxsize=300_000)
def stem(word: str, language: str) -> str:
    """Stem one lower-case word in ``language`` ("fr"/"en"), then fold accents."""
    stemmer = _STEMMERS.get(language, _STEMMERS["fr"])
    return fold(stemmer(masculine(word)))


def plain(word: str) -> str:
    """The unstemmed, folded form used for prefix, fuzzy matching and suggestions."""
    return fold(masculine(word))


def content_words(text: str) -> list[str]:
    """Words of prose without stop words."""
    return [w for w in words(text) if w not in _STOP_WORDS]


def stems(text: str, language: str) -> list[str]:
    """Stemmed, folded terms of prose, in order (for the full-text field and bigrams)."""
    return [stem(w, language) for w in content_words(text)]


def bigrams(terms: list[str]) -> Iterator[str]:
    """Adjacent term pairs: a phrase query becomes a lookup of its pairs (no positions kept)."""
    return (f"{a}|{b}" for a, b in zip(terms, terms[1:], strict=False))


def keyword_terms(text: str) -> list[str]:
    """Folded words of a short field (name, organisation, location, skill): never stemmed."""
    return [fold(w) for w in words(text)]


def facet_key(value: str) -> str:
    """Case- and accent-insensitive identity of a facet value ("Québec" == "quebec")."""
    return " ".join(keyword_terms(value))


def query_variants(word: str, languages: Iterable[str] = LANGUAGES) -> tuple[str, ...]:
    """The stems a query word may have in documents of any language, without duplicates."""
    return tuple(dict.fromkeys(stem(word, lang) for lang in languages))


def is_stop_word(word: str) -> bool:
    return word in _STOP_WORDS


# Professional titles and fields written differently (abbreviations, French and English, the
# person and the field): a curated data file, applied at query time only, so editing it needs
# no reindex.  See the file's header for its format.
SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.toml"


def synonym_key(words_: Iterable[str]) -> tuple[str, ...]:
    """How a term is looked up: French stems, so case, accents, plurals and regular feminine
    forms do not matter ("Directrices financières" is "directeur financier")."""
    return tuple(stem(w, "fr") for w in words_ if w not in _STOP_WORDS)


@dataclass(frozen=True)
class Thesaurus:
    """The synonym groups and qualifier words of a data file, indexed for query time."""

    groups: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    qualifiers: frozenset[str]
    max_words: int

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> Thesaurus:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        found: dict[tuple[str, ...], dict[tuple[str, ...], None]] = {}
        for number, group in enumerate(data.get("group", []), 1):
            terms = group.get("terms")
            if not isinstance(terms, list) or len(terms) < 2:
                raise ValueError(f"{path}: group {number} needs a list of two terms or more")
            spelled = [tuple(content_words(t)) for t in terms]
            for form in spelled:
                key = synonym_key(form)
                if not key:
                    raise ValueError(f"{path}: group {number} has a term of stop words only")
                others = found.setdefault(key, {})
                for other in spelled:
                    if synonym_key(other) != key:
                        others[other] = None
        qualifiers = data.get("qualifiers", {}).get("words", [])
        return cls(
            groups={k: tuple(v) for k, v in found.items() if v},
            qualifiers=frozenset(plain(w) for q in qualifiers for w in words(q)),
            max_words=max((len(k) for k in found), default=1),
        )

    def synonyms(self, words_: Iterable[str]) -> tuple[tuple[str, ...], ...]:
        """Other spellings of a term given as query words ("chief", "financial", "officer")."""
        return self.groups.get(synonym_key(words_), ())

    def is_qualifier(self, word: str) -> bool:
        """A word that only says how senior a title is ("senior", "head", "vp")."""
        return plain(word) in self.qualifiers


THESAURUS = Thesaurus.load()
SYNONYM_MAX_WORDS = THESAURUS.max_words


def synonyms(words_: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Other spellings of a term given as query words ("machine", "learning")."""
    return THESAURUS.synonyms(words_)


def is_qualifier(word: str) -> bool:
    return THESAURUS.is_qualifier(word)
