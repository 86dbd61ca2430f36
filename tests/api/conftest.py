"""API test helpers: a JSON client per instance host and tokens issued through the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.members.models import Member


@pytest.fixture
def api(client_for: Callable[[str], FlaskClient]) -> Callable[[str], FlaskClient]:
    """A client for an instance's host (requests go to http://<slug>.localhost)."""
    return client_for


@pytest.fixture
def token_for(app: Flask) -> Callable[[Member], str]:
    """A live API token of a member, issued by the accounts service."""

    def issue(member: Member) -> str:
        with app.app_context():
            return issue_api_token(db.session, member)

    return issue


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def error_of(response: Any) -> dict[str, Any]:
    """The error object of a JSON error answer (asserting the shape on the way)."""
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    # retry_after: the seconds to wait, in a 429 rate_limited answer
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "fields",
                                                        "retry_after"}
    return body["error"]  # type: ignore[no-any-return]
