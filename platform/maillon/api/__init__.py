"""The JSON API, version 1 (see shared/API.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The operations attach themselves to bp when imported.
from maillon.api import (  # noqa: E402, F401
    feedback,
    introductions,
    members,
    network,
    openapi,
    search,
    tokens,
)
from maillon.api.errors import add_allow_header  # noqa: E402

bp.after_app_request(add_allow_header)
