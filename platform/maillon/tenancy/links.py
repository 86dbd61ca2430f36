"""Absolute links to an instance's pages, for e-mails written outside the request."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from maillon.tenancy.models import Instance
from maillon.tenancy.registry import get_registry


def absolute_url(instance: Instance, endpoint: str, **values: Any) -> str:
    """A link on the instance's canonical host (the first named in instance.toml), or on
    ``<slug>.localhost:SERVER_PORT`` when LOCAL_LINKS is on (``make run``)."""
    config = get_registry().configs[instance.slug]
    scheme = current_app.config["SERVER_NAME_SCHEME"]
    port = int(current_app.config["SERVER_PORT"])
    if current_app.config["LOCAL_LINKS"] or len(config.hosts) == 1:
        scheme = "http"
        netloc = config.hosts[0] if port == 80 else f"{config.hosts[0]}:{port}"
    else:
        netloc = config.hosts[1]
    with current_app.test_request_context(base_url=f"{scheme}://{netloc}"):
        return url_for(endpoint, _external=True, **values)
