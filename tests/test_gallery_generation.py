"""One generation: thumbnails, detail view, download, stars, pin, remix, delete."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from fluxweb.gallery.live import render_card
from fluxweb.gallery.models import Favourite
from fluxweb.generations.models import GeneratedImage, Generation, GenerationDeletion, Prompt
from fluxweb.generations.running import run_generation
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db


def test_thumbnail_is_a_small_webp_made_when_the_image_is_stored(member, member_client):
    generation = make_finished_generation(member, width=1024, height=512)
    (image,) = generation.images.all()
    assert image.thumbnail.name.endswith(".webp")
    response = member_client.get(f"/images/{image.pk}/thumb/")
    assert response["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (384, 192)
    # The gallery shows thumbnails; the original is only on the detail view.
    page = member_client.get("/").content.decode()
    assert f"/images/{image.pk}/thumb/" in page and f'src="/images/{image.pk}/"' not in page
    detail = member_client.get(f"/generations/{generation.pk}/").content.decode()
    assert f'src="/images/{image.pk}/"' in detail


def test_an_api_image_gets_its_thumbnail_when_the_gallery_first_shows_it(member, member_client):
    generation = make_finished_generation(
        member, width=1024, height=512, source=Generation.Source.API
    )
    (image,) = generation.images.all()
    assert image.file and not image.thumbnail  # the script's answer did not wait for one
    response = member_client.get(f"/images/{image.pk}/thumb/")
    assert response["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (384, 192)
    image.refresh_from_db()
    made = image.thumbnail.name
    assert made.endswith(".webp") and default_storage.exists(made)
    again = member_client.get(f"/images/{image.pk}/thumb/")
    assert again["Content-Type"] == "image/webp"
    image.refresh_from_db()
    assert image.thumbnail.name == made  # made once
    folder = made.rsplit("/", 1)[0]
    assert len([n for n in default_storage.listdir(folder)[1] if n.endswith(".webp")]) == 1


def test_an_image_whose_thumbnail_cannot_be_made_is_shown_as_stored(member, member_client):
    (image,) = make_finished_generation(member, source=Generation.Source.API).images.all()
    with default_storage.open(image.file.name, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n not an image any more")
    response = member_client.get(f"/images/{image.pk}/thumb/")
    assert response.status_code == 200 and response["Content-Type"] == image.content_type
    assert b"not an image any more" in b"".join(response.streaming_content)
    image.refresh_from_db()
    assert not image.thumbnail


def test_images_need_login(client, member):
    (image,) = make_finished_generation(member).images.all()
    for url in (
        f"/images/{image.pk}/",
        f"/images/{image.pk}/thumb/",
        f"/images/{image.pk}/download/",
    ):
        assert client.get(url).status_code == 302


def test_detail_shows_every_parameter_costs_timings_and_author(alice, member_client):
    generation = make_finished_generation(
        alice, "A heron in the mist", seed=4242, num_inference_steps=6, negative_prompt="blurry"
    )
    html = member_client.get(f"/generations/{generation.pk}/").content.decode()
    for text in (
        "A heron in the mist",
        "blurry",
        "Demo (offline)",
        "64 px",
        "4242",
        "alice",
        "Estimated cost",
        "Actual cost",
        "Waited",
        "Ran",
        'data-copy="#detail-prompt"',
        "js/lightbox.js",
        "data-close",
    ):
        assert text in html, text
    assert "Delete permanently" not in html  # not the author, not an admin


def test_download_has_a_meaningful_file_name(member, member_client):
    generation = make_finished_generation(
        member, "A T-Rex on a beach, wearing sunglasses!", num_images=2
    )
    second = generation.images.get(index=1)
    response = member_client.get(f"/images/{second.pk}/download/")
    assert response["Content-Disposition"] == (
        f'attachment; filename="a-t-rex-on-a-beach-wearing-sunglasses-{generation.pk}-2.png"'
    )
    # The stored image plus its parameters (tests/test_download_metadata.py).
    with (
        default_storage.open(second.file.name) as stored,
        Image.open(stored) as original,
        Image.open(io.BytesIO(response.content)) as downloaded,
    ):
        assert downloaded.tobytes() == original.tobytes()


def test_star_is_per_user_and_toggles_with_htmx_and_without_js(
    member, member_client, alice, alice_client
):
    generation = make_generation(alice)
    response = member_client.post(
        f"/generations/{generation.pk}/favourite/", {"starred": "1"}, HTTP_HX_REQUEST="true"
    )
    assert 'aria-pressed="true"' in response.content.decode()
    assert Favourite.objects.filter(user=member, generation=generation).exists()
    # Idempotent: a double click does not fail or duplicate.
    member_client.post(
        f"/generations/{generation.pk}/favourite/", {"starred": "1"}, HTTP_HX_REQUEST="true"
    )
    assert Favourite.objects.count() == 1
    assert 'aria-pressed="true"' in member_client.get("/").content.decode()
    assert 'aria-pressed="true"' not in alice_client.get("/").content.decode()
    # The streamed card is the same for everyone: no one's star state in it.
    assert 'aria-pressed="false"' in render_card(
        Generation.objects.for_gallery().get(pk=generation.pk)
    )
    # Without JavaScript: a plain POST, then back to the page it came from.
    response = member_client.post(
        f"/generations/{generation.pk}/favourite/", {"starred": "0", "next": "/?q=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/?q=x"
    assert not Favourite.objects.exists()
    response = member_client.post(
        f"/generations/{generation.pk}/favourite/",
        {"starred": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/generations/{generation.pk}/"


def test_the_detail_page_loads_the_users_star(member, member_client, alice):
    generation = make_generation(alice)
    Favourite.objects.create(user=member, generation=generation)
    star_url = f"/generations/{generation.pk}/favourite/"
    assert (
        f'hx-get="{star_url}"'
        in member_client.get(f"/generations/{generation.pk}/").content.decode()
    )
    star = member_client.get(
        star_url,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/generations/{generation.pk}/",
    )
    html = star.content.decode()
    assert 'aria-pressed="true"' in html and "csrfmiddlewaretoken" in html
    assert f'name="next" value="/generations/{generation.pk}/"' in html
    assert member_client.get("/generations/999999/favourite/").status_code == 404


def test_only_admins_pin_and_the_card_is_streamed_again(member_client, admin_client, alice):
    generation = make_generation(alice)
    assert (
        member_client.post(f"/generations/{generation.pk}/pin/", {"pinned": "1"}).status_code == 403
    )
    before = Generation.objects.get(pk=generation.pk).updated_at
    response = admin_client.post(
        f"/generations/{generation.pk}/pin/", {"pinned": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Unpin for the team" in response.content.decode()
    generation.refresh_from_db()
    assert generation.pinned and generation.updated_at > before
    assert "Pinned" in render_card(Generation.objects.for_gallery().get(pk=generation.pk))


def test_remix_with_the_same_seed_reproduces_the_image_byte_for_byte(member, member_client):
    data = {
        "prompt": "A paper boat on a puddle",
        "negative_prompt": "people",
        "model": "demo/placeholder",
        "width": 128,
        "height": 96,
        "num_inference_steps": 5,
        "num_images": 2,
    }
    member_client.post("/generations/new/", data)
    original = Generation.objects.latest("id")
    run_generation(original.pk)

    page = member_client.get("/", {"remix": original.pk})
    form = page.context["form"]
    assert {
        name: form[name].value()
        for name in (
            "prompt",
            "negative_prompt",
            "model",
            "width",
            "height",
            "num_inference_steps",
            "seed",
            "num_images",
        )
    } == {**data, "seed": original.seed}
    assert f'value="{original.seed}"' in page.content.decode()

    member_client.post(
        "/generations/new/",
        {name: form[name].value() for name in form.fields if form[name].value() is not None},
    )
    remix = Generation.objects.latest("id")
    assert remix.pk != original.pk
    run_generation(remix.pk)

    def image_bytes(generation):
        return [
            default_storage.open(image.file.name).read()
            for image in generation.images.order_by("index")
        ]

    assert image_bytes(remix) == image_bytes(original)
    assert len(image_bytes(remix)) == 2


def test_delete_is_for_the_author_and_admins_and_removes_the_files(
    member, member_client, alice_client, admin_client, django_capture_on_commit_callbacks
):
    generation = make_finished_generation(member, num_images=2)
    names = [
        n for image in generation.images.all() for n in (image.file.name, image.thumbnail.name)
    ]
    assert len(names) == 4 and all(default_storage.exists(n) for n in names)
    assert alice_client.post(f"/generations/{generation.pk}/delete/").status_code == 403
    assert member_client.get(f"/generations/{generation.pk}/delete/").status_code == 405
    assert (
        "Delete permanently" in member_client.get(f"/generations/{generation.pk}/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(f"/generations/{generation.pk}/delete/")
    assert response.status_code == 302
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert not GeneratedImage.objects.filter(generation_id=generation.pk).exists()
    assert not any(default_storage.exists(n) for n in names)
    assert member_client.get(f"/generations/{generation.pk}/").status_code == 404
    assert Prompt.objects.get(text="a lighthouse at dusk").use_count == 0

    other = make_finished_generation(member)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"/generations/{other.pk}/delete/").status_code == 302
    assert not Generation.objects.filter(pk=other.pk).exists()


def test_prompt_history_counts_uses_authors_and_reuses_with_one_click(member, alice, member_client):
    make_finished_generation(alice, "A snowy owl")
    latest = make_finished_generation(member, "A snowy owl")
    make_generation(member, "Something else")
    html = member_client.get("/prompts/").content.decode()
    owl = Prompt.objects.get(text="A snowy owl")
    assert "Used 2 times" in html and "alice, bob" in html
    assert html.index("Something else") < html.index("A snowy owl")  # most recently used first
    assert f"/images/{latest.images.get().pk}/thumb/" in html
    assert f'href="/?reuse={owl.pk}#generation-form"' in html
    form = member_client.get("/", {"reuse": owl.pk}).context["form"]
    assert form["prompt"].value() == "A snowy owl"
    # Search and filters apply to the history too.
    filtered = member_client.get(
        "/prompts/", {"q": "owl", "author": alice.pk}, HTTP_HX_REQUEST="true"
    )
    assert (
        "A snowy owl" in filtered.content.decode()
        and "Something else" not in filtered.content.decode()
    )
    assert "<html" not in filtered.content.decode()


def test_deleting_in_the_django_admin_also_removes_files_and_tells_open_galleries(
    member, admin_client, django_capture_on_commit_callbacks
):
    generation = make_finished_generation(member)
    pk = generation.pk
    names = [
        n for image in generation.images.all() for n in (image.file.name, image.thumbnail.name)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/generations/generation/",
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not Generation.objects.filter(pk=pk).exists()
    assert not any(default_storage.exists(n) for n in names)
    assert GenerationDeletion.objects.filter(generation_id=pk).exists()
    assert Prompt.objects.get(pk=generation.prompt_id).use_count == 0
