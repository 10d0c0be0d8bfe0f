import io

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
