"""A local SMTP sink for development: catches every message into var/outbox/ as .eml files."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / (name + ".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.folder / name)
        return "250 Message accepted for delivery"


def start_sink(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(_SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller
