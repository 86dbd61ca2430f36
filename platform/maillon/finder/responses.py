"""What the search page and the search API add to a response beyond its body."""

from __future__ import annotations

from typing import Any

from flask import after_this_request


def retry_after(seconds: int) -> None:
    """Tell the client when to ask again (the page's and the API's 503 alike)."""

    @after_this_request
    def add_header(response: Any) -> Any:
        response.headers["Retry-After"] = str(seconds)
        return response
