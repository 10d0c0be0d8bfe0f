"""The card cache (fluxweb/gallery/cards.py): cards render once, come back from the cache
with each user's own star, and a changed generation is never served from an old entry."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.db.models.functions import Now
from django.template.loader import render_to_string
from django.test import RequestFactory

from fluxweb.gallery import cards
from fluxweb.gallery.live import changes_since, render_card
from fluxweb.gallery.models import Favourite
from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """Ids of the cards actually rendered from the template (cache misses)."""
    rendered: list[int] = []
    real = cards._render_body

    def counting(generation):
        rendered.append(generation.pk)
        return real(generation)

    monkeypatch.setattr(cards, "_render_body", counting)
    return rendered


def card_of(html: str, pk: int) -> str:
    """Card ``pk`` of a page, without its CSRF token's value (masked anew per render)."""
    match = re.search(rf'<article[^>]*id="generation-{pk}".*?</article>', html, re.S)
    assert match, f"card {pk} not in the page"
    return TOKEN.sub("", match.group(0))


TOKEN = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+')


def gallery_card(generation: Generation) -> Generation:
    return Generation.objects.for_gallery().get(pk=generation.pk)


def test_cached_card_is_the_html_the_template_renders(member):
    generation = gallery_card(make_finished_generation(member))
    uncached = render_to_string("gallery/_card.html", {"generation": generation})
    assert render_card(generation) == uncached  # miss: rendered and stored
    assert render_card(gallery_card(generation)) == uncached  # hit


def test_cached_card_with_a_request_matches_the_template_with_that_request(member):
    generation = gallery_card(make_finished_generation(member))
    generation.is_favourite = True
    request = RequestFactory().get("/?q=lighthouse")
    request.user = member
    render_card(generation)  # cached without a request first
    html = render_card(generation, request)
    uncached = render_to_string("gallery/_card.html", {"generation": generation}, request)
    assert TOKEN.sub("", html) == TOKEN.sub("", uncached)
    assert 'name="next" value="/?q=lighthouse"' in html and "csrfmiddlewaretoken" in html
    assert f'action="/generations/{generation.pk}/favourite/"' in html


def test_a_page_renders_each_finished_card_once_then_serves_the_cache(member, member_client, renders):
    first = make_finished_generation(member, "a fox")
    second = make_finished_generation(member, "an owl")
    page = member_client.get("/").content.decode()
    assert sorted(renders) == sorted([first.pk, second.pk])
    renders.clear()
    again = member_client.get("/").content.decode()
    assert renders == []
    assert card_of(again, first.pk) == card_of(page, first.pk)
    assert "a fox" in again and "an owl" in again


def test_queued_and_running_cards_are_not_cached(member, member_client, renders):
    queued = make_generation(member, "still waiting")
    member_client.get("/")
    member_client.get("/")
    assert renders == [queued.pk, queued.pk]  # their clock moves on its own


def test_the_star_stays_per_user_on_cached_cards(member, member_client, alice, alice_client, renders):
    generation = make_finished_generation(alice)
    Favourite.objects.create(user=member, generation=generation)
    mine = card_of(member_client.get("/").content.decode(), generation.pk)
    hers = card_of(alice_client.get("/").content.decode(), generation.pk)
    assert renders == [generation.pk]  # one render, shared by both users
    assert 'aria-pressed="true"' in mine and "★" in mine
    assert 'aria-pressed="false"' in hers and "☆" in hers
    # Starring changes only the star, never the shared fragment.
    alice_client.post(f"/generations/{generation.pk}/favourite/", {"starred": "1"})
    hers = card_of(alice_client.get("/").content.decode(), generation.pk)
    assert 'aria-pressed="true"' in hers
    member_client.post(f"/generations/{generation.pk}/favourite/", {"starred": "0"})
    mine = card_of(member_client.get("/").content.decode(), generation.pk)
    assert 'aria-pressed="false"' in mine
    # The live stream's copy carries nobody's star.
    streamed = render_card(gallery_card(generation))
    assert 'aria-pressed="false"' in streamed and "csrfmiddlewaretoken" not in streamed


def test_a_changed_generation_re_renders(member, member_client, admin_client, renders):
    generation = make_finished_generation(member)
    assert "Pinned" not in card_of(member_client.get("/").content.decode(), generation.pk)
    admin_client.post(f"/generations/{generation.pk}/pin/", {"pinned": "1"})
    generation.refresh_from_db()
    assert generation.pinned
    renders.clear()
    card = card_of(member_client.get("/").content.decode(), generation.pk)
    assert "Pinned" in card and "card--pinned" in card
    assert renders == [generation.pk]


def test_stale_fragments_are_never_served_after_an_update(member, member_client):
    generation = make_finished_generation(member, status="failed")
    Generation.objects.filter(pk=generation.pk).update(status="failed", error="first error", updated_at=Now())
    assert "first error" in card_of(member_client.get("/").content.decode(), generation.pk)
    # With a new version...
    Generation.objects.filter(pk=generation.pk).update(error="second error", updated_at=Now())
    card = card_of(member_client.get("/").content.decode(), generation.pk)
    assert "second error" in card and "first error" not in card
    # ...and even by a raw UPDATE that forgets to bump updated_at: the key covers every column.
    Generation.objects.filter(pk=generation.pk).update(error="third error")
    card = card_of(member_client.get("/").content.decode(), generation.pk)
    assert "third error" in card and "second error" not in card


def test_a_renamed_author_is_shown_at_once(member, member_client):
    generation = make_finished_generation(member)
    member_client.get("/")
    member.username = "robert"
    member.save()
    assert "<dd>robert</dd>" in card_of(member_client.get("/").content.decode(), generation.pk)


def test_the_live_hub_fills_the_cache_the_pages_read(member, member_client, renders, settings):
    # The stream's copy of a just-finished card differs in its thumbnail's src too
    # (tests/test_live_inline.py): off here, so the rest can be compared.
    settings.FLUXWEB_LIVE_INLINE_THUMBNAIL_BYTES = 0
    generation = make_finished_generation(member)
    events = [e for e in changes_since(None) if e.generation_id == generation.pk]
    assert len(events) == 1 and renders == [generation.pk]
    page = member_client.get("/").content.decode()
    assert renders == [generation.pk]  # the page served the hub's rendering
    key = cards.cache_key(gallery_card(generation))
    assert caches[cards.CACHE_ALIAS].get(key) is not None
    # Same card, only the star differs (the page's has the user's token and path).
    strip = re.compile(r'<form method="post".*?</form>', re.S)
    assert strip.sub("", card_of(page, generation.pk)) == strip.sub("", events[0].html.strip())
