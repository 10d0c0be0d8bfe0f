"""Checks on image bytes from providers: sniff the real format, bound the size, prove the
bytes whole (decoded, or for a PNG whose pixels are not needed yet, its chunk checksums)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.conf import settings
from PIL import Image

from .base import InvalidResponseError

# Magic numbers: PNG (RFC 2083), JPEG (JFIF/EXIF SOI marker), WebP (RIFF....WEBP).
SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class CheckedImage:
    """Image bytes that passed :func:`check_image`; ``width``/``height`` in pixels.
    ``decoded`` is the decoding that proved them (a loaded Pillow image), so later steps
    such as the thumbnail need not decode the bytes again, or None when they were proved
    by their checksums instead; :meth:`without_pixels` lets it go."""

    data: bytes
    content_type: str
    width: int
    height: int
    decoded: Image.Image | None = field(default=None, compare=False, repr=False)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    def without_pixels(self) -> CheckedImage:
        """The same image without its decoded pixels (which can be large) held."""
        return replace(self, decoded=None)


def sniff_content_type(data: bytes) -> str | None:
    """``"image/png"``, ``"image/jpeg"``, ``"image/webp"`` from the bytes, or None."""
    for content_type, matches in SIGNATURES.items():
        if matches(data):
            return content_type
    return None


def check_image(data: bytes, provider: str, *, decode: bool = True) -> CheckedImage:
    """Verify provider bytes are a whole PNG/JPEG/WebP within the byte and pixel caps.

    With ``decode`` (the default) the pixels are decoded, which proves the bytes, and the
    result carries the decoded image (``decoded``). Without it, a PNG is proved by its own
    integrity check instead: every chunk's CRC-32 up to the closing ``IEND`` chunk (PNG
    specification, W3C, section 5.3; Pillow's ``verify()``), which a truncated or altered
    file fails, without inflating the pixels (``decoded`` is None). JPEG and WebP carry no
    such checksums and are decoded either way.

    Raises :class:`InvalidResponseError` for unknown formats, truncated, corrupt or
    undecodable data, more than ``FLUXWEB_MAX_IMAGE_BYTES`` bytes or
    ``FLUXWEB_MAX_IMAGE_PIXELS`` pixels (decompression bombs are refused from the header,
    before any pixel is decoded).
    """
    if len(data) > settings.FLUXWEB_MAX_IMAGE_BYTES:
        raise InvalidResponseError(f"{provider} returned an image over the size limit")
    content_type = sniff_content_type(data)
    if content_type is None:
        raise InvalidResponseError(
            f"{provider} returned something that is not a PNG, JPEG or WebP image"
        )
    decode = decode or content_type != "image/png"
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > settings.FLUXWEB_MAX_IMAGE_PIXELS:
                raise InvalidResponseError(
                    f"{provider} returned an image of {width}×{height} pixels, over the pixel limit"
                )
            if decode:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    image.load()
            else:
                image.verify()
    except InvalidResponseError:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise InvalidResponseError(f"{provider} returned a truncated or undecodable image") from exc
    return CheckedImage(
        data=data,
        content_type=content_type,
        width=width,
        height=height,
        decoded=image if decode else None,
    )
