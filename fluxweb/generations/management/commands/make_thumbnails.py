"""Make the gallery's WebP thumbnails for stored images that have none (or, with --all, again).

Images stored before thumbnails existed, or restored from a backup without them, are
served full size in the gallery until this runs. Safe to run while the app serves and to
run again: each image is read from storage, thumbnailed and saved on its own.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fluxweb.generations.models import GeneratedImage
from fluxweb.generations.storing import thumbnail_from_original


class Command(BaseCommand):
    help = "Make missing WebP thumbnails of stored images (--all: remake every one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="remake thumbnails that exist too")
        parser.add_argument(
            "--batch", type=int, default=200, help="images read from the database at once"
        )

    def handle(self, *args: object, all: bool, batch: int, **options: object) -> None:
        images = GeneratedImage.objects.order_by("pk")
        if not all:
            images = images.filter(thumbnail="")
        made, failed = 0, []
        for image in images.iterator(chunk_size=batch):
            try:
                remake_thumbnail(image)
            except (OSError, ValueError) as exc:  # a missing or unreadable original
                failed.append(image.pk)
                self.stderr.write(f"image {image.pk} ({image.file.name or 'no file'}): {exc}")
                continue
            made += 1
        self.stdout.write(f"Made {made} thumbnail{'s' if made != 1 else ''}.")
        if failed:
            raise CommandError(f"{len(failed)} image(s) could not be thumbnailed: {failed[:20]}")


def remake_thumbnail(image: GeneratedImage) -> None:
    """Read ``image``'s original from storage and save a new thumbnail for it (the old
    thumbnail file, if any, is deleted). Raises OSError when the original is missing and
    ValueError/OSError when Pillow cannot read it."""
    thumbnail = thumbnail_from_original(image)
    old = image.thumbnail.name
    image.thumbnail.save("thumb.webp", ContentFile(thumbnail), save=False)
    GeneratedImage.objects.filter(pk=image.pk).update(thumbnail=image.thumbnail.name)
    if old and old != image.thumbnail.name:
        image.thumbnail.storage.delete(old)
