"""Storing a generation's images: each provider image checked (format, decodability, caps),
saved with its WebP thumbnail through the default storage, and deleted again when the
generation does not keep them."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from fluxweb.providers.base import GenerationResult, ProviderError
from fluxweb.providers.images import check_image

from .models import GeneratedImage, Generation
from .thumbnails import make_thumbnail

logger = logging.getLogger("fluxweb.generations.running")


def store_images(
    generation: Generation, result: GenerationResult, provider_label: str
) -> list[GeneratedImage]:
    """Check every image (format, decodability, caps) and save its file, with its WebP
    thumbnail, through the default storage; returns the :class:`GeneratedImage` rows, not
    yet saved (:func:`finish_generation` saves them with the success). Raises
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
    # Each image is decoded once: the check's decoding makes the thumbnail, then the
    # pixels are let go before the next image is decoded.
    checked = []
    for data in result.images:
        image = check_image(data, provider_label)
        pixels = image.decoded if image.decoded is not None else image.data
        checked.append((image.without_pixels(), make_thumbnail(pixels)))
        del image
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
