"""The card cache (templates/gallery/_card.html): a finished card's shared content is
cached under the generation's version, each user's star is rendered per request, and a
changed generation is never served from an old entry."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.db.models.functions import Now

from fluxweb.gallery.live import changes_since, render_card
from fluxweb.gallery.models import Favourite
from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db

CARDS = caches["cards"]


def card_of(html: str, pk: int) -> str:
    """Card ``pk`` of a page, without its CSRF token's value (masked anew per render)."""
    match = re.search(rf'<article[^>]*id="generation-{pk}".*?</article>', html, re.S)
    assert match, f"card {pk} not in the page"
    return TOKEN.sub("", match.group(0))


TOKEN = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+')


def fragment_key(generation: Generation) -> str:
    generation = Generation.objects.select_related("author").get(pk=generation.pk)
    username = generation.author.get_username() if generation.author else ""
    version = generation.updated_at.isoformat()
    return make_template_fragment_key("card", [generation.pk, version, username])


def test_a_finished_card_is_served_from_the_cache_under_its_version(member, member_client):
    generation = make_finished_generation(member, "a fox")
    page = member_client.get("/").content.decode()
    cached = CARDS.get(fragment_key(generation))
    assert cached is not None and "a fox" in cached
    assert cached in card_of(page, generation.pk)
    CARDS.set(fragment_key(generation), "<p>from the cache</p>")
    assert "from the cache" in card_of(member_client.get("/").content.decode(), generation.pk)


def test_queued_and_running_cards_are_not_cached(member, member_client):
    queued = make_generation(member, "still waiting")
    assert "still waiting" in member_client.get("/").content.decode()
    assert CARDS.get(fragment_key(queued)) is None  # its clock moves on its own


def test_the_star_stays_per_user_on_cached_cards(member, member_client, alice, alice_client):
    generation = make_finished_generation(alice)
    Favourite.objects.create(user=member, generation=generation)
    mine = card_of(member_client.get("/").content.decode(), generation.pk)
    hers = card_of(alice_client.get("/").content.decode(), generation.pk)
    assert "star-form" not in CARDS.get(fragment_key(generation))  # the shared part has no star
    assert 'aria-pressed="true"' in mine and "★" in mine
    assert 'aria-pressed="false"' in hers and "☆" in hers
    alice_client.post(f"/generations/{generation.pk}/favourite/", {"starred": "1"})
    assert 'aria-pressed="true"' in card_of(alice_client.get("/").content.decode(), generation.pk)
    member_client.post(f"/generations/{generation.pk}/favourite/", {"starred": "0"})
    assert 'aria-pressed="false"' in card_of(member_client.get("/").content.decode(), generation.pk)
    # The live stream's copy carries nobody's star.
    streamed = render_card(Generation.objects.for_gallery().get(pk=generation.pk))
    assert 'aria-pressed="false"' in streamed and "csrfmiddlewaretoken" not in streamed


def test_a_changed_generation_re_renders(member, member_client, admin_client):
    generation = make_finished_generation(member)
    assert "Pinned" not in card_of(member_client.get("/").content.decode(), generation.pk)
    admin_client.post(f"/generations/{generation.pk}/pin/", {"pinned": "1"})
    card = card_of(member_client.get("/").content.decode(), generation.pk)
    assert "Pinned" in card and "card--pinned" in card


def test_a_new_version_is_never_served_an_old_entry(member, member_client):
    generation = make_finished_generation(member, status="failed")
    failed = Generation.objects.filter(pk=generation.pk)
    failed.update(status="failed", error="first error", updated_at=Now())
    assert "first error" in card_of(member_client.get("/").content.decode(), generation.pk)
    Generation.objects.filter(pk=generation.pk).update(error="second error", updated_at=Now())
    card = card_of(member_client.get("/").content.decode(), generation.pk)
    assert "second error" in card and "first error" not in card


def test_a_renamed_author_is_shown_at_once(member, member_client):
    generation = make_finished_generation(member)
    member_client.get("/")
    member.username = "robert"
    member.save()
    assert '<span class="card__author">robert</span>' in card_of(
        member_client.get("/").content.decode(), generation.pk
    )


def test_the_live_hub_fills_the_cache_the_pages_read(member, member_client):
    generation = make_finished_generation(member)
    events = [e for e in changes_since(None) if e.generation_id == generation.pk]
    assert len(events) == 1
    assert CARDS.get(fragment_key(generation)) is not None
    page = member_client.get("/").content.decode()
    # Same card, only the star differs (the page's has the user's token and path).
    strip = re.compile(r'<form method="post".*?</form>', re.S)
    assert strip.sub("", card_of(page, generation.pk)) == strip.sub("", events[0].html.strip())


def test_the_stream_sends_thumbnails_by_url(member):
    generation = make_finished_generation(member)
    image = generation.images.get()
    [event] = [e for e in changes_since(None) if e.generation_id == generation.pk]
    assert f'src="/images/{image.pk}/thumb/"' in event.html and "data:" not in event.html


def test_a_cached_cards_details_link_carries_the_pages_filters(member, member_client):
    generation = make_finished_generation(member)
    detail = f"/generations/{generation.pk}/"
    assert f'href="{detail}"' in card_of(member_client.get("/").content.decode(), generation.pk)
    filtered = card_of(
        member_client.get(f"/?model={generation.model}").content.decode(), generation.pk
    )
    assert f'href="{detail}?model={generation.model.replace("/", "%2F")}"' in filtered
    # And back: the unfiltered page does not get the filtered page's links.
    assert f'href="{detail}"' in card_of(member_client.get("/").content.decode(), generation.pk)


def test_a_failed_card_keeps_retry_for_its_author_only(member, member_client, alice_client):
    generation = make_finished_generation(member, status="failed")
    Generation.objects.filter(pk=generation.pk).update(status="failed", updated_at=Now())
    mine = card_of(member_client.get("/").content.decode(), generation.pk)
    hers = card_of(alice_client.get("/").content.decode(), generation.pk)
    assert 'class="card__retry"' in mine and "Retry" in mine
    assert 'class="card__retry"' not in hers
