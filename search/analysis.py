"""Text analysis shared by indexing and querying, in plain Python.

Both sides of the index must turn words into the same terms, so this module is the single
place where that happens; the Whoosh fields only split on spaces.  Keeping it backend-free
means a PostgreSQL backend can reuse it (or mirror it with ``unaccent`` + snowball).

Order matters: lower-case, map feminine French job titles to the masculine form, stem with the
snowball stemmer of the document's language (it expects accents), and only then fold accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

from whoosh.lang.snowball.english import EnglishStemmer
from whoosh.lang.snowball.french import FrenchStemmer

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

_STEMMERS = {"fr": FrenchStemmer().stem, "en": EnglishStemmer().stem}


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


# Professional terms that French and English profiles write differently; a query for one form
# also finds the others (at query time only, so adding a group needs no reindex).  Keep it to
# unambiguous multi-word terms and job titles.
_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("machine learning", "apprentissage automatique"),
    ("deep learning", "apprentissage profond"),
    ("artificial intelligence", "intelligence artificielle"),
    ("data science", "science des données"),
    ("natural language processing", "traitement automatique des langues"),
    ("computer vision", "vision par ordinateur"),
    ("engineer", "ingénieur"),
    ("developer", "développeur"),
)


def _synonym_key(phrase: str) -> tuple[str, ...]:
    return tuple(plain(w) for w in content_words(phrase))


SYNONYMS: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {
    _synonym_key(form): tuple(
        tuple(content_words(other)) for other in group if other != form
    )
    for group in _SYNONYM_GROUPS
    for form in group
}
SYNONYM_MAX_WORDS = max(len(key) for key in SYNONYMS)


def synonyms(words_: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Other spellings of a term given as query words ("machine", "learning")."""
    return SYNONYMS.get(tuple(plain(w) for w in words_), ())
