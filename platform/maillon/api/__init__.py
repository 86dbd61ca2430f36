"""The JSON API, version 1: the contract is docs/api.md, kept equal to the served OpenAPI."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The operations attach themselves to bp when imported.
from maillon.api import (  # noqa: E402, F401
    appearance,
    federation,
    feedback,
    hubs,
    introductions,
    invitations,
    members,
    moderation,
    network,
    openapi,
    opportunities,
    organisations,
    policies,
    questions,
    reports,
    rights,
    roles,
    search,
    statistics,
    tokens,
)
from maillon.api.errors import add_allow_header  # noqa: E402

bp.after_app_request(add_allow_header)
