"""Deployment endpoints: /healthz, /readyz, /metrics (served for any host, no instance)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from maillon.db import db
from maillon.ops.health import readiness
from maillon.ops.metrics import render_metrics

bp = Blueprint("ops", __name__)


def is_trusted_caller() -> bool:
    """A loopback client, or one sending ``Authorization: Bearer <METRICS_TOKEN>``."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address is not None and address.is_loopback:
        return True
    token = str(current_app.config["METRICS_TOKEN"] or "")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Any:
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> Any:
    report = readiness(current_app._get_current_object())  # type: ignore[attr-defined]
    # Anyone may learn ready or not; instance slugs, counts and errors are for operators.
    response = jsonify(report.as_dict(details=is_trusted_caller()))
    response.status_code = 200 if report.ok else 503
    return _no_store(response)


@bp.get("/metrics")
def metrics() -> Any:
    if not is_trusted_caller():
        return _no_store(Response("forbidden: loopback or METRICS_TOKEN only\n", status=403,
                                  mimetype="text/plain"))
    body, content_type = render_metrics(db.session)
    return _no_store(Response(body, content_type=content_type))
