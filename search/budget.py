"""The most work one query may cost: caps on typo and prefix expansion, and a time budget.

Typo matching walks the term dictionary with a Levenshtein automaton whose size grows with
the word, and a prefix of two letters can name thousands of terms; a hostile query (long
random words, many wildcards) would otherwise cost seconds.  Every bound here degrades the
query (fewer loose matches, a notice) instead of refusing it.  The parser's own limits
(:mod:`search.query`: length, words, nesting) come first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# A word longer than this is never typo-matched: the automaton's cost grows with the word,
# and a typo in a 20-letter word ("internationalisation") is still caught.
MAX_FUZZY_LENGTH = 20
# Known words a typo may stand for, per word (the most frequent ones).
MAX_FUZZY_TERMS = 8
# Words of one query looked up for typos (evaluation and "did you mean" together).
MAX_FUZZY_WORDS = 8
# Terms a prefix may stand for, per prefix (the most frequent ones).
MAX_PREFIX_TERMS = 64
# Close words whose live frequency is compared for a "did you mean", per word.
MAX_SUGGESTION_TERMS = 32
# Prefixes of one query expanded.
MAX_PREFIX_WORDS = 8
# Terms of the dictionary read for one prefix, per segment ("de*" in a large vocabulary).
MAX_PREFIX_SCAN = 5_000
# Terms added by typo and prefix expansion in one query, all words together.
MAX_QUERY_EXPANSIONS = 256
# Seconds of typo and prefix expansion per query; past it, words match exactly only.
TIME_BUDGET_SECONDS = 0.25

NOTICE = "This search was simplified: some typo or prefix matches were left out."


@dataclass
class Budget:
    """What one query has spent so far; ``limited`` is set once a bound dropped some work."""

    seconds: float = TIME_BUDGET_SECONDS
    clock: Callable[[], float] = time.monotonic
    fuzzy_words: int = 0
    prefix_words: int = 0
    expanded: int = 0
    limited: bool = False
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.seconds

    def expired(self) -> bool:
        """Past the time budget (then whatever is skipped makes the result ``limited``)."""
        if self.clock() < self.deadline:
            return False
        self.limited = True
        return True

    def _refuse(self) -> bool:
        self.limited = True
        return False

    def start_fuzzy(self) -> bool:
        """May one more word be looked up for typos?"""
        if self.fuzzy_words >= MAX_FUZZY_WORDS or self.expired():
            return self._refuse()
        self.fuzzy_words += 1
        return True

    def start_prefix(self) -> bool:
        """May one more prefix be expanded?"""
        if self.prefix_words >= MAX_PREFIX_WORDS or self.expired():
            return self._refuse()
        self.prefix_words += 1
        return True

    def take(self, terms: Sequence[str]) -> list[str]:
        """The first of ``terms`` that still fit in the query's expansion cap."""
        room = max(0, MAX_QUERY_EXPANSIONS - self.expanded)
        if len(terms) > room:
            self.limited = True
        kept = list(terms[:room])
        self.expanded += len(kept)
        return kept
