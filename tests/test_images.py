import io
import struct
import zlib

import pytest
from PIL import Image

from fluxweb.providers.base import InvalidResponseError
from fluxweb.providers.images import check_image, sniff_content_type
from tests.emulators.server import png_bytes


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_formats_are_sniffed_from_bytes_and_measured(fmt, content_type):
    data = png_bytes(320, 200, fmt=fmt)
    assert sniff_content_type(data) == content_type
    checked = check_image(data, "Test")
    assert (checked.content_type, checked.width, checked.height) == (content_type, 320, 200)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>nope</html>", "not a PNG, JPEG or WebP"),
        (b"GIF89a" + b"\x00" * 20, "not a PNG, JPEG or WebP"),
        (png_bytes(64, 64)[:60], "truncated or undecodable"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "truncated or undecodable"),
    ],
)
def test_bad_bytes_are_refused_with_a_reason(data, message):
    with pytest.raises(InvalidResponseError, match=message):
        check_image(data, "Test")


def test_truncated_jpeg_is_refused():
    data = png_bytes(256, 256, fmt="JPEG")
    with pytest.raises(InvalidResponseError, match="truncated or undecodable"):
        check_image(data[: len(data) // 2], "Test")


def test_decompression_bomb_is_refused_before_decoding(settings):
    settings.FLUXWEB_MAX_IMAGE_PIXELS = 100 * 100
    buffer = io.BytesIO()
    Image.new("1", (4000, 4000)).save(buffer, format="PNG")  # tiny file, 16 megapixels
    with pytest.raises(InvalidResponseError, match="over the pixel limit"):
        check_image(buffer.getvalue(), "Test")


def test_byte_cap(settings):
    settings.FLUXWEB_MAX_IMAGE_BYTES = 1000
    with pytest.raises(InvalidResponseError, match="over the size limit"):
        check_image(png_bytes(512, 512, colour=(1, 2, 3), fmt="BMP"), "Test")


def flipped(data: bytes, at: int) -> bytes:
    """``data`` with the byte at ``at`` changed (one bit flipped)."""
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def idat_offset(data: bytes) -> int:
    """Where the first IDAT chunk's compressed data starts in PNG ``data``."""
    return data.index(b"IDAT") + 4


def test_without_decoding_a_png_is_proved_by_its_checksums_and_keeps_no_pixels():
    data = png_bytes(320, 200, colour=(10, 200, 30))
    checked = check_image(data, "Test", decode=False)
    assert (checked.content_type, checked.width, checked.height) == ("image/png", 320, 200)
    assert checked.decoded is None
    assert check_image(data, "Test").decoded is not None  # the default decodes


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut-in-half"),
        pytest.param(lambda data: data[:-12], id="no-IEND"),
        pytest.param(lambda data: flipped(data, idat_offset(data) + 5), id="pixel-data-altered"),
        pytest.param(lambda data: flipped(data, 20), id="header-altered"),
    ],
)
def test_without_decoding_a_damaged_png_is_still_refused(damage):
    data = damage(png_bytes(320, 200, colour=(10, 200, 30)))
    with pytest.raises(InvalidResponseError, match="truncated or undecodable"):
        check_image(data, "Test", decode=False)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_formats_without_checksums_are_decoded_even_when_not_asked(fmt):
    data = png_bytes(256, 256, fmt=fmt)
    assert check_image(data, "Test", decode=False).decoded is not None
    with pytest.raises(InvalidResponseError, match="truncated or undecodable"):
        check_image(data[: len(data) // 2], "Test", decode=False)


def test_without_decoding_the_pixel_cap_still_holds(settings):
    settings.FLUXWEB_MAX_IMAGE_PIXELS = 100 * 100
    buffer = io.BytesIO()
    Image.new("1", (4000, 4000)).save(buffer, format="PNG")
    with pytest.raises(InvalidResponseError, match="over the pixel limit"):
        check_image(buffer.getvalue(), "Test", decode=False)


def png_of_chunks(width: int, height: int, pixel_data: bytes) -> bytes:
    """A PNG with intact chunks (right CRC-32s, IEND) around ``pixel_data`` as its IDAT."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixel_data) + chunk(b"IEND", b"")


def test_checksums_cannot_see_pixel_data_made_wrong_before_they_were_computed():
    """The limit of the check without decoding: a PNG written with garbage for pixels and
    correct checksums passes it; decoding refuses it (the gallery then shows the stored
    file as it is, tests/test_gallery_generation.py)."""
    rows = b"".join(b"\x00" + b"\x10\x20\x30" * 8 for _ in range(8))  # filter byte + RGB
    assert check_image(png_of_chunks(8, 8, zlib.compress(rows)), "Test").width == 8
    garbage = png_of_chunks(8, 8, b"this is not deflate data")
    assert check_image(garbage, "Test", decode=False).decoded is None
    with pytest.raises(InvalidResponseError, match="truncated or undecodable"):
        check_image(garbage, "Test")
