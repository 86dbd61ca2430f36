"""What the engine sees of search: plain data in, plain data out, no backend types.

A second backend (PostgreSQL full-text search) implements :class:`SearchIndex` with the same
query and result types; nothing here names Whoosh.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

FacetValue = str | bool
Document = Mapping[str, Any]


class QueryError(ValueError):
    """A query that cannot be understood even after lenient repair; ``message`` is for users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IndexBusy(RuntimeError):
    """Another writer held the index lock past the timeout; the job should be retried."""


class IndexUnavailable(RuntimeError):
    """The index is missing or unreadable: nothing can be answered until ``rebuild()``.

    Raised by reads (``search``, ``ids``, ``count``, ``refresh``) and writes (``upsert``,
    ``delete``) instead of answering from an empty or partial index; ``reason`` is for logs.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SearchQuery:
    """One search: free text plus exact filters; ``boosts`` multiplies scores per member id.

    ``organisation``/``location``/``skill`` match a facet value exactly (case and accents
    ignored); ``language`` is the searcher's language: documents in it get a slight edge.
    ``group_ids`` names sets of ids; the result counts its matches in each (``group_counts``),
    so a facet over caller-side groups (network degrees) needs no second query.
    ``excluded_ids`` are answered as if they were not in the index.
    """

    text: str = ""
    organisation: str | None = None
    location: str | None = None
    skill: str | None = None
    open_to_opportunities: bool | None = None
    allowed_ids: frozenset[str] | None = None
    boosts: Mapping[str, float] | None = None
    page: int = 1
    per_page: int = 20
    facets: bool = True
    language: str | None = None
    group_ids: Mapping[str, Collection[str]] | None = None
    # Documents the index may still hold but that must not count at all (hidden, suspended or
    # removed members the index has not caught up with): no match, no statistic, no word.
    excluded_ids: frozenset[str] | None = None


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """``notices`` explains lenient repairs ("unknown field 'foo:' searched as text")."""

    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[FacetValue, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    notices: tuple[str, ...] = ()
    group_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReconcileReport:
    """Differences between the database and the index, and how many documents were fixed."""

    missing: frozenset[str]
    extra: frozenset[str]
    stale: frozenset[str] = frozenset()
    repaired: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)


class SearchIndex(Protocol):
    """One instance's index; reads and writes raise IndexUnavailable when it is missing or
    unreadable (never an empty stand-in), and ``rebuild`` always builds a working one."""

    recovery: str | None

    def upsert(self, docs: Iterable[Document]) -> int: ...
    def delete(self, ids: Iterable[str]) -> int: ...
    def search(self, q: SearchQuery) -> SearchResult: ...
    def ids(self) -> set[str]: ...
    def count(self) -> int: ...
    def rebuild(
        self, docs: Iterable[Document], progress: Callable[[int], None] | None = None
    ) -> int: ...
    def refresh(self) -> None: ...
    def reconcile(
        self,
        expected_ids: Collection[str],
        fetch: Callable[[set[str]], Iterable[Document]],
        versions: Mapping[str, str] | None = None,
    ) -> ReconcileReport: ...
    def close(self) -> None: ...
