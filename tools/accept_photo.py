"""Accept a customer's photo: an image Pillow can read, at most 10 MB, re-encoded clean."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel

from tools.errors import InvalidUpload

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF", "HEIC", "MPO"})

try:  # HEIC/HEIF only where the optional pillow-heif plugin is installed
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
except ImportError:  # pragma: no cover - depends on the machine
    pass


class AcceptedPhoto(BaseModel):
    jpeg: bytes
    sha256: str
    width: int
    height: int


def accept_photo(data: bytes) -> AcceptedPhoto:
    """Check and re-encode an upload as JPEG without metadata; raise ``InvalidUpload``."""
    if not data:
        raise InvalidUpload("The upload is empty. Please choose a photo.")
    if len(data) > MAX_BYTES:
        raise InvalidUpload(
            "That photo is larger than 10 MB. Please send a smaller one.", too_large=True
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            probe.verify()
        if kind not in ACCEPTED_FORMATS:
            raise InvalidUpload(
                "Please send a photo as JPEG, PNG, WebP or HEIC; that file is not one."
            )
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            clean = upright.convert("RGB")
    except InvalidUpload:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
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
