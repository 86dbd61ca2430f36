"""A database that is restarting or unreachable: 503 with Retry-After (JSON under /api/, a page
elsewhere), never a 500, and the request's session is released even if it cannot roll back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from maillon.db import db


class _Shutdown(Exception):
    pass


def _down() -> Any:
    raise OperationalError("SELECT 1", {}, _Shutdown("the database system is shutting down"))


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    app.add_url_rule("/api/v1/test-database-down", "test_api_down", _down)
    app.add_url_rule("/test-database-down", "test_page_down", _down)
    return app


def test_the_api_answers_503_database_unavailable_with_retry_after(
        failing_app: Flask, client_for: Callable[[str], FlaskClient]) -> None:
    response = client_for("reseau").get("/api/v1/test-database-down")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_a_page_answers_503_with_a_page_and_retry_after(
        failing_app: Flask, client_for: Callable[[str], FlaskClient]) -> None:
    response = client_for("acme").get("/test-database-down")
    assert response.status_code == 503
    assert "try again" in response.get_data(as_text=True).lower()
    assert int(response.headers["Retry-After"]) > 0


def test_a_session_that_cannot_close_is_dropped_not_raised(
        app: Flask, client_for: Callable[[str], FlaskClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_remove() -> None:
        raise OperationalError("ROLLBACK", {}, _Shutdown("server closed the connection"))

    monkeypatch.setattr(db.registry, "remove", broken_remove)
    client = client_for("reseau")
    assert client.get("/").status_code == 200  # the answer went out; teardown did not raise
    monkeypatch.undo()
    assert client.get("/").status_code == 200
