"""Profile photo bytes: checked, decoded within fixed bounds and re-encoded, with no database.

Decoding is the slow, memory-hungry part of an upload, so it is pure and runs before the
service opens its write (``photo_store.set_photo`` only stores the result). Bounds, checked from
the header before any pixel is decoded:

- at most MAX_PHOTO_SIDE pixels a side, and no stripe longer than MAX_PHOTO_RATIO to 1;
- JPEG (what cameras and phones write) up to MAX_JPEG_PIXELS: it is decoded at 1/2 to 1/8
  scale through ``draft()``, so a 48-megapixel photo costs about what 1 megapixel does;
- PNG and WebP, which Pillow can only decode at full size, up to MAX_DECODED_PIXELS
  (12 megapixels: at most ~48 MB in memory, a fraction of a second of CPU).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from maillon.errors import ValidationFailed

PHOTO_SIZE = 400
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PHOTO_SIDE = 10_000
MAX_PHOTO_RATIO = 4
MAX_JPEG_PIXELS = 50_000_000
MAX_DECODED_PIXELS = 12_000_000
# EXIF orientation -> the transposition that shows the picture upright (as ImageOps does).
ORIENTATIONS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                8: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class PreparedPhoto:
    """A profile photo ready to store: a square PHOTO_SIZE JPEG without metadata."""

    jpeg: bytes


def read_upload(stream: IO[bytes], limit: int) -> bytes:
    """The uploaded bytes, refused past ``limit`` without reading further."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed({"photo": str(_l(
            "The photo is too large (at most %(mb).1f MB).", mb=limit / 1024 / 1024))})
    if not data:
        raise ValidationFailed({"photo": str(_l("Choose an image file."))})
    return data


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Check, decode (bounded) and re-encode an upload; ValidationFailed naming "photo"."""
    return PreparedPhoto(_square_jpeg(_decode(data)))


def _too_big(message: str) -> ValidationFailed:
    return ValidationFailed({"photo": message})


def _check_header(image: Image.Image) -> None:
    """Refuse by the dimensions the header declares, before decoding anything."""
    width, height = image.size
    if max(width, height) > MAX_PHOTO_SIDE:
        raise _too_big(str(_l("The image is too large: at most %(n)d pixels a side.",
                              n=MAX_PHOTO_SIDE)))
    if max(width, height) > MAX_PHOTO_RATIO * max(1, min(width, height)):
        raise _too_big(str(_l("The image is too narrow or too wide for a profile photo.")))
    cap = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_DECODED_PIXELS
    if width * height > cap:
        raise _too_big(str(_l("The image has too many pixels.")))


def _decode(data: bytes) -> Image.Image:
    """The decoded image (JPEG at reduced scale), if the bytes are a sane JPEG, PNG or WebP."""
    invalid = ValidationFailed({"photo": str(_l("This is not a JPEG, PNG or WebP image."))})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data), formats=PHOTO_FORMATS)
            _check_header(probe)
            probe.verify()  # checks the structure; the image must be reopened after it
            image = Image.open(BytesIO(data), formats=PHOTO_FORMATS)
            if image.format == "JPEG":
                # DCT scaling: decode at the smallest scale still covering PHOTO_SIZE.
                image.draft("RGB", (PHOTO_SIZE, PHOTO_SIZE))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big(str(_l("The image has too many pixels."))) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise invalid from None
    return image


def _square_jpeg(image: Image.Image) -> bytes:
    """Upright, square, PHOTO_SIZE px, re-encoded as JPEG without any metadata (no EXIF)."""
    orientation = image.getexif().get(0x0112)
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode not in ("RGBA", "LA") and (transparent or image.mode not in ("RGB", "L")):
        image = image.convert("RGBA" if transparent else "RGB")  # palette, CMYK, 16-bit...
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    # The centre square, shrunk in one pass; reducing_gap first box-reduces a large picture
    # (cheap) and keeps LANCZOS for the last factor of three.
    image = image.resize((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.LANCZOS,
                         box=(left, top, left + side, top + side), reducing_gap=3.0)
    if orientation in ORIENTATIONS:  # a centred square turns into itself: rotate it last
        image = image.transpose(ORIENTATIONS[orientation])
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    else:
        image = image.convert("RGB")
    out = BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
