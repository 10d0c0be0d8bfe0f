"""WebP thumbnails for the gallery: made once, when an image is stored."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

# Longest side in pixels: a gallery card is ~300 CSS px wide, so this stays sharp at 1.25x
# while a 48-card page stays well under its 1.5 MB budget (bench/gallery.py measures it).
THUMBNAIL_SIDE = 384
THUMBNAIL_QUALITY = 75
CONTENT_TYPE = "image/webp"


def make_thumbnail(data: bytes, side: int = THUMBNAIL_SIDE, quality: int = THUMBNAIL_QUALITY) -> bytes:
    """WebP bytes of the image ``data`` (already checked) scaled to fit ``side``×``side``
    pixels, aspect ratio kept, never enlarged; EXIF orientation applied."""
    with Image.open(io.BytesIO(data)) as source:
        image = ImageOps.exif_transpose(source)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()
