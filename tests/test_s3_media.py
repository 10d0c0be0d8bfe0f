"""Images in a private S3-compatible bucket: stored by a real worker, served only to
members through fluxweb's view, never readable from the bucket without a signature."""

from __future__ import annotations

import io

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from fluxweb.gallery.live import changes_since
from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation
from tests.processes import app_env, wait_for, worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_stores_in_the_private_bucket_and_members_get_the_image(s3, member_client, tmp_path):
    with worker(app_env(**s3.env), tmp_path / "worker.log"):
        response = member_client.post(
            "/generations/new/",
            {
                "prompt": "A fox in the snow",
                "model": "demo/placeholder",
                "width": 320,
                "height": 240,
                "num_images": 1,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        generation = Generation.objects.latest("id")
        wait_for(lambda: Generation.objects.get(pk=generation.pk).is_finished)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    image = generation.images.get()
    stored = s3.client.get_object(Bucket=s3.bucket, Key=image.file.name)["Body"].read()

    served = member_client.get(f"/images/{image.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == stored
    assert served["Cache-Control"].startswith("private")
    with default_storage.open(image.file.name) as file, Image.open(file) as picture:
        assert picture.size == (320, 240)

    # The bucket itself: an unsigned URL is refused; anonymous visitors get the login page.
    assert httpx.get(f"{s3.endpoint}/{s3.bucket}/{image.file.name}").status_code == 403
    assert Client().get(f"/images/{image.pk}/").status_code == 302


def test_storage_urls_are_short_lived_s3v4_signatures(s3):
    name = default_storage.save("generations/1/probe.png", ContentFile(b"png bytes"))
    url = default_storage.url(name)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url
    assert httpx.get(url).content == b"png bytes"
    assert httpx.get(url.split("?")[0]).status_code == 403


def test_the_live_streams_thumbnail_url_serves_the_bucket_copy(s3, member, member_client):
    # The stream names a fresh card's thumbnail by URL, as the pages do; on S3 that URL
    # answers the bucket's bytes.
    generation = make_finished_generation(member, "A fox in the snow")
    (image,) = generation.images.all()
    stored = s3.client.get_object(Bucket=s3.bucket, Key=image.thumbnail.name)["Body"].read()
    (event,) = [e for e in changes_since(None) if e.generation_id == generation.pk]
    url = f"/images/{image.pk}/thumb/"
    assert f'src="{url}"' in event.html
    assert b"".join(member_client.get(url).streaming_content) == stored


def test_an_api_images_thumbnail_is_made_in_the_bucket_when_first_shown(s3, member, member_client):
    generation = make_finished_generation(
        member, "A heron at dawn", width=512, height=256, source=Generation.Source.API
    )
    (image,) = generation.images.all()
    assert not image.thumbnail  # the API answer did not wait for one
    body = b"".join(member_client.get(f"/images/{image.pk}/thumb/").streaming_content)
    image.refresh_from_db()
    stored = s3.client.get_object(Bucket=s3.bucket, Key=image.thumbnail.name)["Body"].read()
    assert body == stored
    with Image.open(io.BytesIO(stored)) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (384, 192)
