"""The live stream sends a just-finished card's thumbnail inside the card (data: URI);
pages and older cards keep the thumbnail's URL."""

import base64
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from fluxweb.gallery import inline
from fluxweb.gallery.cards import render_each
from fluxweb.gallery.live import changes_since
from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db


def streamed_card(generation: Generation) -> str:
    (event,) = [e for e in changes_since(None) if e.generation_id == generation.pk]
    return event.html


def thumbnail_url(image) -> str:
    return reverse("gallery:thumbnail", args=[image.pk])


def test_a_just_finished_card_carries_its_thumbnail_bytes(member):
    generation = make_finished_generation(member, "a lighthouse at dusk", num_images=2)
    html = streamed_card(generation)
    images = list(generation.images.order_by("index"))
    assert len(images) == 2
    for image in images:
        with image.thumbnail.open("rb") as handle:
            expected = base64.b64encode(handle.read()).decode()
        assert f'src="data:image/webp;base64,{expected}"' in html
        assert f'src="{thumbnail_url(image)}"' not in html
        assert f'href="{reverse("gallery:detail", args=[generation.pk])}#image-{image.index}"' in html


def test_pages_keep_the_thumbnail_url(member, member_client):
    generation = make_finished_generation(member)
    streamed_card(generation)  # the stream renders (and caches) the card first
    (image,) = generation.images.all()
    (page_card,) = render_each(list(Generation.objects.for_gallery().filter(pk=generation.pk)))
    assert f'src="{thumbnail_url(image)}"' in page_card and "data:image" not in page_card
    page = member_client.get(reverse("gallery:home")).content.decode()
    assert f'src="{thumbnail_url(image)}"' in page and "data:image/webp" not in page


def test_a_card_finished_a_while_ago_keeps_the_url(member):
    generation = make_finished_generation(member)
    Generation.objects.filter(pk=generation.pk).update(finished_at=generation.finished_at - inline.FRESH - timedelta(seconds=1))
    (image,) = generation.images.all()
    html = streamed_card(generation)
    assert f'src="{thumbnail_url(image)}"' in html and "data:image" not in html


def test_a_thumbnail_over_the_limit_keeps_the_url(member, settings):
    generation = make_finished_generation(member)
    (image,) = generation.images.all()
    settings.FLUXWEB_LIVE_INLINE_THUMBNAIL_BYTES = image.thumbnail.size - 1
    assert f'src="{thumbnail_url(image)}"' in streamed_card(generation)
    settings.FLUXWEB_LIVE_INLINE_THUMBNAIL_BYTES = image.thumbnail.size
    assert "data:image/webp;base64," in streamed_card(generation)


def test_zero_turns_inlining_off(member, settings):
    settings.FLUXWEB_LIVE_INLINE_THUMBNAIL_BYTES = 0
    generation = make_finished_generation(member)
    (image,) = generation.images.all()
    assert f'src="{thumbnail_url(image)}"' in streamed_card(generation)


def test_a_missing_thumbnail_file_keeps_the_url(member):
    generation = make_finished_generation(member)
    (image,) = generation.images.all()
    image.thumbnail.storage.delete(image.thumbnail.name)
    html = streamed_card(generation)
    assert f'src="{thumbnail_url(image)}"' in html and "data:image" not in html


def test_a_burst_inlines_at_most_the_cap_per_look(member, monkeypatch):
    monkeypatch.setattr(inline, "MAX_INLINE_PER_LOOK", 2)
    generations = [make_finished_generation(member, f"prompt {n}") for n in range(3)]
    cards = [e.html for e in changes_since(None)]
    assert len(cards) == 3
    assert sum("data:image/webp;base64," in html for html in cards) == 2
    assert sum(any(f'src="{thumbnail_url(i)}"' in html for i in g.images.all())
               for g, html in zip(generations, cards, strict=True)) == 1


def test_queued_and_failed_cards_are_unchanged(member):
    queued = make_generation(member, "still queued")
    failed = make_generation(member, "went wrong")
    failed.mark_running()
    failed.mark_failed("the provider said no")
    events = {e.generation_id: e.html for e in changes_since(None)}
    assert "data:image" not in events[queued.pk] and "data:image" not in events[failed.pk]
    assert "the provider said no" in events[failed.pk]


def test_a_hanging_storage_does_not_hold_up_the_stream(member, monkeypatch):
    generation = make_finished_generation(member)
    (image,) = generation.images.all()
    original_open = FileSystemStorage.open
    release = threading.Event()

    def hanging_open(self, name, mode="rb"):
        release.wait(5)  # a storage that does not answer
        return original_open(self, name, mode)

    monkeypatch.setattr(inline, "READ_TIMEOUT", 0.1)
    monkeypatch.setattr(FileSystemStorage, "open", hanging_open)
    try:
        started = time.monotonic()
        html = streamed_card(generation)
        waited = time.monotonic() - started
    finally:
        release.set()
    assert waited < 2
    assert f'src="{thumbnail_url(image)}"' in html and "data:image" not in html
