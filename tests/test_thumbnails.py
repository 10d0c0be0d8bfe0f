"""Thumbnails are made from the pixels the image check decoded, with the same result."""

import io

from PIL import Image

from fluxweb.generations.thumbnails import THUMBNAIL_SIDE, make_thumbnail
from fluxweb.providers.images import check_image
from tests.emulators.server import png_bytes


def test_the_check_hands_on_its_decoding_and_can_let_it_go():
    checked = check_image(png_bytes(640, 480, colour=(10, 200, 30)), "Test")
    assert checked.decoded.size == (640, 480)
    assert checked.decoded.getpixel((5, 5)) == (10, 200, 30)
    light = checked.without_pixels()
    assert light.decoded is None
    assert light == checked  # the same image; only the pixels are not held


def test_thumbnail_from_the_decoded_image_is_the_thumbnail_of_the_bytes_and_leaves_it_as_it_was():
    data = png_bytes(1024, 512, colour=(200, 30, 90), fmt="JPEG")
    decoded = check_image(data, "Test").decoded
    thumbnail = make_thumbnail(decoded)
    assert thumbnail == make_thumbnail(data)
    assert decoded.size == (1024, 512)
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert (image.format, image.size) == ("WEBP", (THUMBNAIL_SIDE, THUMBNAIL_SIDE // 2))


def test_thumbnail_applies_the_exif_orientation():
    source = Image.new("RGB", (600, 300), (0, 0, 255))
    exif = source.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG", exif=exif)
    with Image.open(
        io.BytesIO(make_thumbnail(check_image(buffer.getvalue(), "Test").decoded))
    ) as image:
        assert image.size == (THUMBNAIL_SIDE // 2, THUMBNAIL_SIDE)


def test_thumbnail_never_enlarges_and_converts_palette_images():
    buffer = io.BytesIO()
    Image.new("P", (100, 80)).save(buffer, format="PNG")
    with Image.open(
        io.BytesIO(make_thumbnail(check_image(buffer.getvalue(), "Test").decoded))
    ) as image:
        assert image.size == (100, 80)
        assert image.mode in ("RGB", "RGBA")
