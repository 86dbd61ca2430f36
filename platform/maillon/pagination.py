"""Reading page numbers and ids from URLs without ever overflowing the database."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest id a database BIGINT holds
MAX_PAGE = 10_000
MAX_PER_PAGE = 100
T = TypeVar("T")


def page_arg(name: str = "page") -> int:
    """The ``?page=`` number, clamped to 1..MAX_PAGE (a garbage value means page 1)."""
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in routes, refusing (404) numbers no row can have instead of letting the
    database raise on them."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def paginate(session: Session, query: Select[T], *order: Any, page: int, per_page: int
             ) -> tuple[int, list[T]]:
    """(total, one page) of a query's rows in ``order``; ``per_page`` is clamped to
    1..MAX_PER_PAGE and ``page`` to 1..MAX_PAGE."""
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    rows = list(session.scalars(query.order_by(*order).offset((page - 1) * per_page)
                                .limit(per_page)))
    return total, rows
