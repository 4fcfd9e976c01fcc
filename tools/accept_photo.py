"""Accept a customer's photo: an image Pillow can read, at most 10 MB and 40 megapixels,
re-encoded clean.

The pixel count is read from the file's header (Pillow opens lazily) and refused before a
single pixel is decoded: a few kilobytes of PNG can claim 9000 x 9000 pixels, which takes
hundreds of megabytes and seconds of CPU to decode. Files that carry markup (SVG, HTML,
script: what a polyglot hides) are refused too, although the re-encoding would drop it.
"""

from __future__ import annotations

import hashlib
import io
import re

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, Field

from tools.errors import InvalidUpload, TooManyPixels

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048
# 40 megapixels: above the default photo of any phone (12 to 24 MP; a 48 MP full-resolution
# mode is refused with a message asking for the usual size). Decoding holds about 3 bytes a
# pixel, so the limit caps one upload near 120 MB (JPEGs decode at a reduced scale, far less).
MAX_PIXELS = 40_000_000
# Markup a photo never contains; a file that does is an SVG, a web page or a polyglot. The
# patterns are long enough (with the character after the tag) that compressed image data
# matches them by chance about once in 10^10 photos.
_MARKUP = re.compile(
    rb"<svg[\s>]|<(?i:script|html|iframe|object|embed|body)[\s>/]|<\?(?i:php)\s"
    rb"|<!(?i:doctype)\s"
)
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF", "HEIC", "MPO"})

try:  # HEIC/HEIF only where the optional pillow-heif plugin is installed
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
except ImportError:  # pragma: no cover - depends on the machine
    pass


class PhotoLimits(BaseModel):
    """How big a photo may be and how many a case or a chat session may hold (settings
    ``RETURNBRIDGE_PHOTO_MAX_MEGAPIXELS``, ``_PHOTOS_PER_CASE``, ``_PHOTOS_PER_CHAT``)."""

    max_pixels: int = Field(default=MAX_PIXELS, ge=1)
    per_case: int = Field(default=10, ge=1)
    per_chat: int = Field(default=10, ge=1)


class AcceptedPhoto(BaseModel):
    jpeg: bytes
    sha256: str
    width: int
    height: int


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> TooManyPixels:
    shown = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return TooManyPixels(
        f"That photo has too many pixels{shown}: we take at most "
        f"{max_pixels / 1_000_000:g} megapixels. Please send it at your phone's usual size."
    )


def refuse_markup(data: bytes) -> None:
    """Refuse SVG drawings, web pages and images with markup hidden in them."""
    if _MARKUP.search(data) is not None:
        raise InvalidUpload(
            "That file contains web page or drawing code (SVG, HTML or script), so it is not "
            "accepted as a photo. Please send a JPEG, PNG, WebP or HEIC photo from your camera."
        )


def accept_photo(
    data: bytes, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES
) -> AcceptedPhoto:
    """Check and re-encode an upload as JPEG without metadata; raise ``InvalidUpload``.

    The size in pixels is checked from the header before anything is decoded."""
    if not data:
        raise InvalidUpload("The upload is empty. Please choose a photo.")
    if len(data) > max_bytes:
        raise InvalidUpload(
            f"That photo is larger than {max_bytes / 1024 / 1024:g} MB. Please send a smaller one.",
            too_large=True,
        )
    refuse_markup(data)
    try:
        with Image.open(io.BytesIO(data)) as probe:  # lazy: reads the header only
            kind = probe.format or ""
            width, height = probe.size
            if kind not in ACCEPTED_FORMATS:
                raise InvalidUpload(
                    "Please send a photo as JPEG, PNG, WebP or HEIC; that file is not one."
                )
            if width * height > max_pixels:
                raise _too_many_pixels(max_pixels, (width, height))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.size != (width, height):  # the same bytes read twice: cannot differ
                raise _too_many_pixels(max_pixels, image.size)
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale when that still covers MAX_SIDE:
            # the big photo is never held at full size.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            clean = upright.convert("RGB")
    except InvalidUpload:
        raise
    except Image.DecompressionBombError:
        # Pillow's own guard, for a size the header check did not see (a frame of an
        # animated or multi-picture file): the same refusal, never a decode.
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidUpload(
            "That file is not a photo we can read. Please send a JPEG, PNG, WebP or HEIC image."
        ) from None
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85)  # no exif= given: metadata is dropped
    jpeg = out.getvalue()
    return AcceptedPhoto(
        jpeg=jpeg, sha256=hashlib.sha256(jpeg).hexdigest(), width=clean.width, height=clean.height
    )


def sample_jpeg(description: str = "photo") -> bytes:
    """A small valid JPEG, for scenarios and the demo."""
    shade = int(hashlib.sha256(description.encode()).hexdigest()[:2], 16)
    image = Image.new("RGB", (64, 48), (shade, 120, 255 - shade))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()
