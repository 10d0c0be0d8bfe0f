"""``manage.py make_thumbnails``: backfill the gallery's thumbnails of stored images."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image

from fluxweb.generations.models import GeneratedImage
from tests.factories import make_finished_generation

pytestmark = pytest.mark.django_db


def thumbnail_size(image: GeneratedImage) -> tuple[str, tuple[int, int]]:
    with (
        default_storage.open(image.thumbnail.name) as handle,
        Image.open(io.BytesIO(handle.read())) as picture,
    ):
        return picture.format, picture.size


def test_images_without_a_thumbnail_get_one_and_the_others_are_left_alone(member, member_client):
    without = make_finished_generation(
        member, "no thumbnail yet", width=1024, height=512
    ).images.get()
    with_one = make_finished_generation(member, "has one").images.get()
    GeneratedImage.objects.filter(pk=without.pk).update(thumbnail="")
    kept_name = with_one.thumbnail.name

    out = io.StringIO()
    call_command("make_thumbnails", stdout=out)

    without.refresh_from_db()
    with_one.refresh_from_db()
    assert "Made 1 thumbnail." in out.getvalue()
    assert thumbnail_size(without) == ("WEBP", (384, 192))
    assert with_one.thumbnail.name == kept_name
    response = member_client.get(f"/images/{without.pk}/thumb/")
    assert response["Content-Type"] == "image/webp"


def test_all_remakes_every_thumbnail_and_removes_the_old_files(member):
    image = make_finished_generation(member).images.get()
    old_name = image.thumbnail.name
    call_command("make_thumbnails", "--all", stdout=io.StringIO())
    image.refresh_from_db()
    assert image.thumbnail.name != old_name
    assert default_storage.exists(image.thumbnail.name) and not default_storage.exists(old_name)


def test_a_missing_original_is_reported_and_does_not_stop_the_rest(member):
    lost = make_finished_generation(member, "lost").images.get()
    fine = make_finished_generation(member, "fine").images.get()
    GeneratedImage.objects.filter(pk__in=[lost.pk, fine.pk]).update(thumbnail="")
    default_storage.delete(lost.file.name)

    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 image\(s\) could not be thumbnailed"):
        call_command("make_thumbnails", stdout=io.StringIO(), stderr=err)

    fine.refresh_from_db()
    lost.refresh_from_db()
    assert fine.thumbnail and not lost.thumbnail
    assert f"image {lost.pk}" in err.getvalue()
