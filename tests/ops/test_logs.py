"""Structured logs: one JSON object per line, carrying the request id sent back to the client."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from maillon import create_app
from maillon.ops.logs import JsonFormatter, configure_logging


@pytest.fixture
def json_app(app, app_config):
    """The test app's database, served by an app logging JSON."""
    json_app = create_app({**app_config, "LOG_FORMAT": "json"})
    yield json_app
    json_app.extensions["maillon.engine"].dispose()
    configure_logging("text")


def _json_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_access_line_carries_the_request_id_of_the_response(json_app, capsys):
    capsys.readouterr()
    response = json_app.test_client().get("/", base_url="http://reseau.localhost")
    request_id = response.headers["X-Request-Id"]
    lines = [entry for entry in _json_lines(capsys.readouterr().err)
             if entry.get("request_id") == request_id]
    assert len(lines) == 1  # one access line per request
    line = lines[0]
    assert line["logger"] == "maillon.access" and line["level"] == "INFO"
    assert line["instance"] == "reseau"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert isinstance(line["duration_ms"], float)
    assert {"time", "message"} <= set(line)


def test_client_request_id_is_kept_in_the_log(json_app, capsys):
    capsys.readouterr()
    json_app.test_client().get("/healthz", headers={"X-Request-Id": "abc123"})
    lines = _json_lines(capsys.readouterr().err)
    assert [(e["request_id"], e["path"]) for e in lines] == [("abc123", "/healthz")]


def test_prefixed_path_is_logged_whole(json_app, capsys):
    capsys.readouterr()
    json_app.test_client().get("/i/acme/", base_url="http://localhost")
    (line,) = _json_lines(capsys.readouterr().err)
    assert (line["path"], line["instance"]) == ("/i/acme/", "acme")


def test_server_error_is_logged_with_request_id_and_traceback(app_config, app, capsys):
    boom_app = create_app({**app_config, "LOG_FORMAT": "json"})

    def boom() -> str:
        raise RuntimeError("kaboom")

    boom_app.add_url_rule("/boom", "boom", boom)
    capsys.readouterr()
    response = boom_app.test_client().get("/boom", base_url="http://reseau.localhost")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    lines = [e for e in _json_lines(capsys.readouterr().err) if e.get("request_id") == request_id]
    errors = [e for e in lines if e["level"] == "ERROR"]
    assert len(errors) == 1
    assert "RuntimeError: kaboom" in errors[0]["exception"]
    assert [e["status"] for e in lines if e["logger"] == "maillon.access"] == [500]
    boom_app.extensions["maillon.engine"].dispose()
    configure_logging("text")


def test_json_formatter_writes_one_line_even_for_multiline_text():
    try:
        raise ValueError("line one\nline two")
    except ValueError:
        record = logging.LogRecord("maillon.x", logging.ERROR, __file__, 1, "failed:\n%s",
                                   ("details",), sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["message"] == "failed:\ndetails"
    assert "ValueError: line one\nline two" in entry["exception"]


def test_text_format_shows_the_request_id(app, capsys):
    capsys.readouterr()
    response = app.test_client().get("/", base_url="http://acme.localhost")
    err = capsys.readouterr().err
    assert f"[acme {response.headers['X-Request-Id']}] GET / 200" in err
    assert not err.lstrip().startswith("{")


def test_unknown_log_format_stops_the_start(app_config):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app({**app_config, "LOG_FORMAT": "yaml"})


def test_configuring_twice_keeps_one_handler(app):
    configure_logging("json")
    configure_logging("text")
    owned = [h for h in logging.getLogger("maillon").handlers if getattr(h, "maillon_ops", 0)]
    assert len(owned) == 1


def test_development_server_request_lines_are_dropped(app):
    werkzeug = logging.getLogger("werkzeug")

    def record(msg: str, *args) -> logging.LogRecord:
        return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, msg, args, None)

    # What werkzeug's request handler logs for each request, and its start-up banner.
    assert not werkzeug.filter(record('127.0.0.1 - - [23/Nov/2026 10:12:04] "%s" %s %s',
                                      "GET / HTTP/1.1", 200, "-"))
    assert werkzeug.filter(record(" * Running on http://127.0.0.1:5000"))
