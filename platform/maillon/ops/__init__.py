"""Operations: health and readiness probes, structured logs, Prometheus metrics, pruning."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from flask import Flask, Response, g, request, request_started

from maillon.ops import logs, metrics


def _start_clock(sender: Flask, **extra: Any) -> None:
    # request_started comes before every before_request function, so a request refused
    # early (an unknown host) is timed and logged too.
    g.ops_started = perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("ops_started")
    seconds = perf_counter() - started if started is not None else None
    logs.log_access(response, seconds)
    if seconds is not None:
        rule = request.url_rule.rule if request.url_rule is not None else None
        metrics.observe_request(rule, request.method, response.status_code, seconds)
    return response


def init_app(app: Flask) -> None:
    """Logging, the per-request access line and latency, /healthz /readyz /metrics, pruning."""
    from maillon.extensions import limiter
    from maillon.ops import pruning
    from maillon.ops.views import bp

    logs.configure_logging(str(app.config["LOG_FORMAT"]))
    pruning.Retention.from_config(app.config)  # a bad retention setting stops the start
    request_started.connect(_start_clock, app)
    app.after_request(_finish)
    app.register_blueprint(bp)
    limiter.exempt(bp)  # probes and scrapers are never throttled
