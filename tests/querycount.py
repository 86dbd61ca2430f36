"""Counting the SQL a request runs, so that lists stay constant-query (no N+1).

Like Zulip's ``assert_database_query_count``: a ``before_cursor_execute`` listener on the app's
engine records every statement run inside the block; over budget, the test fails and prints
them, numbered, so the loop that added one query per row shows at a glance.

Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) is not counted: it depends on
the backend and on how transactions start, not on how many rows a page shows.

Usage: ``with assert_database_query_count(engine, 5): ...`` around any code; for requests,
the ``query_counter`` fixture (a test module picks it up with ``query_counter =
querycount.query_counter``) measures one after a warm-up, and ``assert_constant`` compares a
short list's count with a long one's. ``tests/query_world.py`` grows the lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from maillon.db import TENANT_CHECK_OPTION

_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class QueryLog:
    """The statements run inside one counted block."""

    statements: list[str] = field(default_factory=list)
    response: Any = None  # what the measured action returned

    @property
    def count(self) -> int:
        return len(self.statements)

    def report(self) -> str:
        """The statements, numbered, one per paragraph (long ones shortened)."""
        lines = []
        for number, sql in enumerate(self.statements, 1):
            flat = " ".join(sql.split())
            lines.append(f"{number:3d}. {flat[:400]}{' …' if len(flat) > 400 else ''}")
        return "\n".join(lines)


@contextmanager
def count_queries(engine: Engine) -> Iterator[QueryLog]:
    """Record every data statement run on ``engine`` inside the block."""
    log = QueryLog()

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        if context is not None and context.execution_options.get(TENANT_CHECK_OPTION):
            return  # the strict tenant net's comparison, not the request's own work
        if not _TRANSACTION.match(statement):
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def assert_database_query_count(engine: Engine, budget: int) -> Iterator[QueryLog]:
    """Fail, listing the statements, if the block runs more than ``budget`` of them."""
    with count_queries(engine) as log:
        yield log
    if log.count > budget:
        pytest.fail(f"{log.count} queries, over the budget of {budget}:\n{log.report()}",
                    pytrace=False)


class QueryCounter:
    """The ``query_counter`` fixture: measures requests against the test app's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def measure(self, action: Callable[[], Any], *, status: int = 200) -> QueryLog:
        """Run ``action`` (a request) once to warm caches, then count a second run.

        The warm-up absorbs one-off work that is not about the list: the graph catching up
        with new connections, a token's coarse last-use stamp, the first connection of a pool.
        """
        for attempt in range(2):
            if attempt:
                with count_queries(self.engine) as log:
                    response = action()
            else:
                response = action()
            got = getattr(response, "status_code", status)
            assert got == status, (got, getattr(response, "get_data", lambda **_: "")(
                as_text=True)[:500])
        log.response = response
        return log

    def assert_constant(self, small: QueryLog, large: QueryLog, *, budget: int) -> None:
        """The same count for a short and a long list (no query per row), within budget."""
        if small.count != large.count:
            pytest.fail(
                f"the query count grows with the list: {small.count} queries for the short "
                f"list, {large.count} for the long one.\n--- short list:\n{small.report()}\n"
                f"--- long list:\n{large.report()}", pytrace=False)
        if large.count > budget:
            pytest.fail(f"{large.count} queries, over the budget of {budget}:\n"
                        f"{large.report()}", pytrace=False)


@pytest.fixture
def query_counter(app: Flask) -> QueryCounter:
    """Counts the SQL statements of requests to the test app (see ``QueryCounter``)."""
    return QueryCounter(app.extensions["maillon.engine"])
