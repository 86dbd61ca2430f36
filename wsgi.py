"""WSGI entry point: ``gunicorn wsgi:app``."""

import sys
from pathlib import Path

# platform/ is a source root (never a package): make it importable without an install.
sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))

from maillon import create_app  # noqa: E402

app = create_app()
