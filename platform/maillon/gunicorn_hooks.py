"""Gunicorn server hooks for `maillon serve` (``--config python:maillon.gunicorn_hooks``)."""

from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    """A web worker died or was replaced: its live metrics must stop counting."""
    try:
        from maillon.ops.metrics import child_exit as mark_dead
    except ImportError:  # metrics not available in this build
        return
    mark_dead(server, worker)
