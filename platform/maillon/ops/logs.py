"""Logs: one line per record, as JSON (production) or text (development).

Every record logged during a request carries the request id (``g.request_id``, also sent as
``X-Request-Id``) and the instance slug; the access line of each request adds method, path,
status and duration. ``LOG_FORMAT`` chooses the format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Response, g, has_request_context, request

ACCESS_LOGGER = "maillon.access"
FORMATS = ("json", "text")
# Attributes a record may carry (set by the request filter or passed as ``extra``).
CONTEXT_FIELDS = ("request_id", "instance")
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

access_log = logging.getLogger(ACCESS_LOGGER)


class RequestContextFilter(logging.Filter):
    """Adds the request id and the instance slug to records logged inside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if getattr(record, "request_id", None) is None:
                record.request_id = g.get("request_id")
            if getattr(record, "instance", None) is None:
                # The parsed instance.toml, not the ORM row: reading a row after a rollback
                # would query the database from inside logging.
                record.instance = getattr(g.get("instance_config"), "slug", None)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS + ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)  # escapes newlines: one line


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [instance request-id] message`` for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(str(v) for v in (getattr(record, "instance", None),
                                            getattr(record, "request_id", None)) if v)
        record.context = f" [{context}]" if context else ""
        return super().format(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (test runners and daemons replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _drop_werkzeug_request_lines(record: logging.LogRecord) -> bool:
    # The development server logs each request itself; the access line below replaces it.
    return not (isinstance(record.msg, str) and record.msg.endswith('"%s" %s %s'))


def configure_logging(log_format: str) -> None:
    """Send the ``maillon`` loggers to stderr in ``log_format``; calling it again replaces it."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    logger = logging.getLogger("maillon")
    for old in [h for h in logger.handlers if getattr(h, "maillon_ops", False)]:
        logger.removeHandler(old)
    handler = _StderrHandler()
    handler.maillon_ops = True  # type: ignore[attr-defined]
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    werkzeug = logging.getLogger("werkzeug")
    if _drop_werkzeug_request_lines not in werkzeug.filters:
        werkzeug.addFilter(_drop_werkzeug_request_lines)


def log_access(response: Response, seconds: float | None) -> None:
    """The one access line of a request (query strings left out: they hold search terms)."""
    path = request.script_root + request.path
    duration_ms = round(seconds * 1000, 1) if seconds is not None else None
    access_log.info("%s %s %s %s ms", request.method, path, response.status_code, duration_ms,
                    extra={"method": request.method, "path": path,
                           "status": response.status_code, "duration_ms": duration_ms})
