"""The image files of a generation (re-exported by :mod:`fluxweb.generations.models`)."""

from __future__ import annotations

import secrets

from django.db import models


def image_upload_to(instance: GeneratedImage, filename: str) -> str:
    """``generations/<id>/<random>.<ext>``: not guessable from the generation id."""
    extension = filename.rsplit(".", 1)[-1]
    return f"generations/{instance.generation_id}/{secrets.token_urlsafe(16)}.{extension}"


def thumbnail_upload_to(instance: GeneratedImage, filename: str) -> str:
    """``generations/<id>/<random>.thumb.webp``, next to its original."""
    return f"generations/{instance.generation_id}/{secrets.token_urlsafe(16)}.thumb.webp"


class GeneratedImage(models.Model):
    """One image file of a generation, as stored (size in pixels measured from the file),
    with its WebP ``thumbnail`` for the gallery (blank for images stored before thumbnails).
    ``nsfw_flagged``: the provider's safety checker flagged it (AIML ``has_nsfw_concepts``,
    DeepInfra ``nsfw_content_detected``); it is shown blurred until revealed.
    """

    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="images"
    )
    index = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=image_upload_to, max_length=255)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)
    nsfw_flagged = models.BooleanField(default=False)

    class Meta:
        ordering = ["generation", "index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="image_unique_index"),
        ]

    def __str__(self) -> str:
        return f"image {self.index} of generation {self.generation_id}"
