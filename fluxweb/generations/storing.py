"""Storing a generation's images: each provider image checked (format, integrity, caps),
saved with its WebP thumbnail through the default storage, and deleted again when the
generation does not keep them.

Images made through the API get their thumbnail when the gallery first shows them
(:func:`ensure_thumbnail`), not while the script waits: scripts and batches make many
images nobody opens in the gallery, and making it was a large share of the worker's CPU
per API generation (bench/worker_profile.py; figures in docs/speed.md)."""

from __future__ import annotations

import logging
import os
import threading

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from fluxweb.providers.base import GenerationResult, ProviderError
from fluxweb.providers.images import CheckedImage, check_image

from .models import GeneratedImage, Generation
from .thumbnails import make_thumbnail

logger = logging.getLogger("fluxweb.generations.running")

# Images checked (and decoded) at once in this process: one per core. A worker's threads
# whose provider answers arrive together would otherwise each hold full-size pixels
# (width × height × 3 bytes and more) at the same time; beyond the cores that adds memory
# (bench/throughput.py's one-process run, docs/speed.md), not speed.
DECODING = threading.BoundedSemaphore(os.cpu_count() or 1)


def store_images(
    generation: Generation, result: GenerationResult, provider_label: str
) -> list[GeneratedImage]:
    """Check every image (format, integrity, caps: :func:`check_image`; decoded when its
    thumbnail is made now) and save its file, with its WebP thumbnail unless the generation
    came through the API, through the default storage; returns the :class:`GeneratedImage`
    rows, not yet saved (:func:`finish_generation` saves them with the success). Raises
    :class:`ProviderError` if any image is bad; nothing is written then."""
    if not result.images:
        raise ProviderError(f"{provider_label} returned no image")
    if len(result.images) > generation.num_images:
        logger.warning(
            "generation %s: %s returned %s images for %s requested; keeping the first",
            generation.pk,
            provider_label,
            len(result.images),
            generation.num_images,
        )
        result.images = result.images[: generation.num_images]
    # Each image is decoded at most once: the check's decoding makes the thumbnail, then
    # the pixels are let go before the next image is decoded. An API image's PNG is not
    # decoded here at all (its checksums prove it; the gallery decodes it if it shows it).
    thumbnails_now = generation.source != Generation.Source.API
    checked: list[tuple[CheckedImage, bytes | None]] = []
    for data in result.images:
        with DECODING:
            image = check_image(data, provider_label, decode=thumbnails_now)
            pixels = image.decoded if image.decoded is not None else image.data
            thumbnail = make_thumbnail(pixels) if thumbnails_now else None
            checked.append((image.without_pixels(), thumbnail))
            del image, pixels
    stored = []
    for index, (image, thumbnail) in enumerate(checked):
        if (image.width, image.height) != (generation.width, generation.height):
            logger.warning(
                "generation %s image %s is %sx%s, requested %sx%s",
                generation.pk,
                index,
                image.width,
                image.height,
                generation.width,
                generation.height,
            )
        record = GeneratedImage(
            generation=generation,
            index=index,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            nsfw_flagged=bool(result.nsfw and index < len(result.nsfw) and result.nsfw[index]),
        )
        if thumbnail is not None:
            record.thumbnail.save("thumb.webp", ContentFile(thumbnail), save=False)
        record.file.save(f"image.{image.extension}", ContentFile(image.data), save=False)
        stored.append(record)
    return stored


def delete_files(names: list[str]) -> None:
    """Delete files ``names`` from the default storage; failures are logged, not raised."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete %s from storage", name, exc_info=True)


def thumbnail_from_original(record: GeneratedImage) -> bytes:
    """WebP thumbnail bytes of ``record``'s stored original (read from storage, decoded
    once). Raises ValueError when the row has no file, OSError when storage no longer has
    it, and OSError/SyntaxError/ValueError/DecompressionBombError when Pillow cannot read
    it."""
    if not record.file:
        raise ValueError("the image has no original file")
    with record.file.open("rb") as handle:
        return make_thumbnail(handle.read())


def ensure_thumbnail(record: GeneratedImage) -> bool:
    """Give ``record`` its WebP thumbnail if it has none (an API image the gallery shows
    for the first time, or one stored before thumbnails existed): made from the stored
    original (:func:`thumbnail_from_original`), saved through the default storage, recorded
    only if no other request recorded one meanwhile (that request's file is kept, this
    one's deleted). Returns whether ``record`` has a thumbnail now; False, logged, when the
    original cannot be read or decoded (the gallery then shows the original)."""
    if record.thumbnail:
        return True
    try:
        thumbnail = thumbnail_from_original(record)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        logger.warning("could not make a thumbnail of image %s", record.pk, exc_info=True)
        return False
    record.thumbnail.save("thumb.webp", ContentFile(thumbnail), save=False)
    name = str(record.thumbnail.name)
    if GeneratedImage.objects.filter(pk=record.pk, thumbnail="").update(thumbnail=name):
        return True
    delete_files([name])  # another request recorded its own meanwhile
    record.refresh_from_db(fields=["thumbnail"])
    return bool(record.thumbnail)
