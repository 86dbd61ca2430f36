"""WSGI entry point: ``gunicorn wsgi:app``."""

import sys
from pathlib import Path

# platform/ is a source root (never a package): make it importable without an install.
ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from maillon import create_app  # noqa: E402

app = create_app()
