"""The baseline: a bare Flask app answering "hello", served by bench/load/run.py with the same
gunicorn settings as `maillon serve` (``maillon.serving.gunicorn_args("bench.load.bare:app",
ServerSettings(...))``)."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
