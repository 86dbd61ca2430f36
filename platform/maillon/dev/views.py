"""/dev/outbox: read the mail that the development SMTP sink caught (DEV_OUTBOX only)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app

from maillon.tenancy.rendering import render

bp = Blueprint("dev", __name__, template_folder="templates", url_prefix="/dev")


def outbox_dir() -> Path:
    return Path(current_app.config["VAR_DIR"]) / "outbox"


def _read(path: Path) -> dict[str, Any]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return {"id": path.stem, "from": message["From"], "to": message["To"],
            "subject": message["Subject"], "date": path.stem.split("-")[0],
            "body": body.get_content() if body else ""}  # type: ignore[union-attr]


@bp.get("/outbox")
def outbox() -> Any:
    folder = outbox_dir()
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.is_dir() else []
    return render("dev/outbox.html", messages=[_read(p) for p in files])


@bp.get("/outbox/<message_id>")
def outbox_message(message_id: str) -> Any:
    path = outbox_dir() / f"{message_id}.eml"
    if "/" in message_id or not path.is_file():
        abort(404)
    return render("dev/outbox_message.html", message=_read(path))
