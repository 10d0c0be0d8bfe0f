"""WebP thumbnails for the gallery: made once, when an image is stored.

The worker makes one per stored image while the user waits for it, on cores it shares
with every other generation in flight, so it is made from the pixels the image check
already decoded, with bicubic resampling after Pillow's integer box pre-reduction
(``reducing_gap=1``) and WebP effort 2 of 6: ≈ 3× less CPU than Lanczos at effort 4 for
files ≈ 6 % larger, which look the same at card size.
"""

from __future__ import annotations

import io

from PIL import ExifTags, Image, ImageOps

# Longest side in pixels: a gallery card is ~300 CSS px wide, so this stays sharp at 1.25x
# while a 48-card page stays well under its 1.5 MB budget (bench/gallery.py measures it).
THUMBNAIL_SIDE = 384
THUMBNAIL_QUALITY = 75
THUMBNAIL_METHOD = 2  # WebP encoder effort, 0 (fast) – 6 (small)
CONTENT_TYPE = "image/webp"


def make_thumbnail(
    source: bytes | Image.Image, side: int = THUMBNAIL_SIDE, quality: int = THUMBNAIL_QUALITY
) -> bytes:
    """WebP bytes of the image ``source`` (already checked: its bytes, or the decoded
    image, which is left unchanged) scaled to fit ``side``×``side`` pixels, aspect ratio
    kept, never enlarged; EXIF orientation applied."""
    if isinstance(source, bytes):
        with Image.open(io.BytesIO(source)) as opened:
            opened.load()
            return make_thumbnail(opened, side, quality)
    image = source
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        image = ImageOps.exif_transpose(image)  # a turned copy
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    # resize, not thumbnail(): a new small image, no copy of the full-size pixels first.
    # reducing_gap=1: a cheap integer box reduction first (1024 → 512), then bicubic to size.
    scale = min(1.0, side / image.width, side / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size != image.size:
        image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=1.0)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=THUMBNAIL_METHOD)
    return buffer.getvalue()
