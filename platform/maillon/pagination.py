"""Reading page numbers and ids from URLs without ever overflowing the database."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest id a database BIGINT holds
MAX_PAGE = 10_000


def page_arg(name: str = "page") -> int:
    """The ``?page=`` number, clamped to 1..MAX_PAGE (a garbage value means page 1)."""
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in routes, refusing (404) numbers no row can have instead of letting the
    database raise on them."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
