"""An instance's uploaded logo: checked, decoded within fixed bounds, re-encoded as PNG, stored.

As with profile photos (``members/photos.py``), the bytes are decoded before any write begins
and never served as uploaded: the file served is a PNG this module wrote, without metadata.
SVG is refused: a logo is served from the community's own origin, and an SVG can carry script.
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from io import BytesIO
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from maillon.errors import ValidationFailed
from maillon.tenancy.models import Instance

LOGO_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_SIDE = 8_000
MAX_LOGO_PIXELS = 12_000_000
MAX_LOGO_RATIO = 10  # a wordmark may be wide; a stripe past 10:1 is unreadable at 2rem high
# Stored at most this size (the header shows it 2rem high: this covers 3x screens).
STORED_BOX = (960, 192)
LOGO_NAME = re.compile(r"^logo-[0-9a-f]{32}\.png$")
# Earlier uploads kept besides the current one: a process may serve pages naming the previous
# logo for a few seconds after a change (decision 55).
KEEP_PREVIOUS = 1


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed({"logo": message})


def read_logo_upload(stream: IO[bytes]) -> bytes:
    """The uploaded bytes, refused past MAX_LOGO_BYTES without reading further."""
    data = stream.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        raise _refused(str(_l("The logo is too large (at most %(mb).1f MB).",
                              mb=MAX_LOGO_BYTES / 1024 / 1024)))
    if not data:
        raise _refused(str(_l("Choose an image file.")))
    return data


def prepare_logo(data: bytes, box: tuple[int, int] = STORED_BOX) -> bytes:
    """A PNG of the upload, at most ``box``, transparency kept; ValidationFailed naming
    "logo" for anything else than a sane JPEG, PNG or WebP."""
    invalid = _refused(str(_l("The logo must be a PNG, JPEG or WebP image.")))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data), formats=LOGO_FORMATS)
            width, height = probe.size
            if max(width, height) > MAX_LOGO_SIDE or width * height > MAX_LOGO_PIXELS:
                raise _refused(str(_l("The image has too many pixels.")))
            if max(width, height) > MAX_LOGO_RATIO * max(1, min(width, height)):
                raise _refused(str(_l("The image is too narrow or too wide for a logo.")))
            probe.verify()
            image = Image.open(BytesIO(data), formats=LOGO_FORMATS)
            image.load()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(str(_l("The image has too many pixels."))) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise invalid from None
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    converted = image.convert("RGBA" if transparent else "RGB")
    converted.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = BytesIO()
    converted.save(out, "PNG", optimize=True)
    return out.getvalue()


def logo_dir(var_dir: str | Path, instance: Instance) -> Path:
    return Path(var_dir) / "media" / instance.slug / "brand"


def write_logo(var_dir: str | Path, instance: Instance, png: bytes) -> str:
    """Write the prepared PNG under a new name (atomically); returns the name."""
    return store_png(logo_dir(var_dir, instance), "logo", png)


def store_png(folder: Path, prefix: str, png: bytes) -> str:
    """Write ``png`` in ``folder`` as ``<prefix>-<random>.png``, atomically; the name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}-{secrets.token_hex(16)}.png"
    temporary = folder / f".{name}.part"
    temporary.write_bytes(png)
    os.replace(temporary, folder / name)
    return name


def prune_logos(var_dir: str | Path, instance: Instance, keep: set[str]) -> None:
    """Remove the instance's logo files except ``keep`` and the KEEP_PREVIOUS newest others."""
    folder = logo_dir(var_dir, instance)
    if not folder.is_dir():
        return
    others = sorted((p for p in folder.iterdir() if LOGO_NAME.match(p.name)
                     and p.name not in keep), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in others[KEEP_PREVIOUS:]:
        path.unlink(missing_ok=True)


def logo_path(var_dir: str | Path, instance: Instance, name: str) -> Path | None:
    """The file of an uploaded logo of the instance, or None."""
    if not LOGO_NAME.match(name):
        return None
    path = logo_dir(var_dir, instance) / name
    return path if path.is_file() else None
