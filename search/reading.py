"""What every backend answers the same way once it can read a consistent snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from search import evaluate
from search.interface import SearchQuery, SearchResult
from search.query import parse

T = TypeVar("T")


class SnapshotReads:
    """``search`` and ``ids`` over ``_read``, which runs an action on a current snapshot
    (reopening it if another process wrote)."""

    def _read(self, action: Callable[[Any], T]) -> T:
        raise NotImplementedError

    def search(self, q: SearchQuery) -> SearchResult:
        parsed = parse(q.text)
        return self._read(lambda snap: evaluate.run(snap, parsed, q))

    def ids(self) -> set[str]:
        return self._read(lambda snap: snap.all_ids())
