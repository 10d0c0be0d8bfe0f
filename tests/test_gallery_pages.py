"""The shared gallery: search, filters in the URL, HTMX partials, keyset infinite scroll."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fluxweb.gallery import views
from fluxweb.gallery.keyset import Cursor, paginate
from fluxweb.gallery.models import Favourite
from fluxweb.generations.models import Generation, Prompt
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def card_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="generation-(\d+)"', html)]


def test_search_finds_a_teammates_generation_by_a_word_of_its_prompt(member_client, alice):
    lighthouse = make_generation(alice, "A lighthouse on a stormy coast")
    make_generation(alice, "A bowl of ramen")
    response = member_client.get("/", {"q": "lighthouse"})
    assert card_ids(response.content.decode()) == [lighthouse.pk]
    # Several words must all match, in any order and case.
    assert card_ids(member_client.get("/", {"q": "COAST lighthouse"}).content.decode()) == [
        lighthouse.pk
    ]
    assert card_ids(member_client.get("/", {"q": "lighthouse ramen"}).content.decode()) == []


def test_filters_author_provider_model_status_dates(member, member_client, alice):
    mine = make_generation(member, "mine", status="succeeded")
    hers = make_generation(alice, "hers", status="failed")
    old = make_generation(alice, "old", status="succeeded")
    Generation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))

    def shown(**params):
        return set(card_ids(member_client.get("/", params).content.decode()))

    assert shown(author=alice.pk) == {hers.pk, old.pk}
    assert shown(status="failed") == {hers.pk}
    assert shown(provider="demo", model="demo/placeholder") == {mine.pk, hers.pk, old.pk}
    assert shown(model="deepinfra/flux-1-dev") == {mine.pk, hers.pk, old.pk}  # not enabled: ignored
    today = timezone.localdate()
    assert shown(date_from=today.isoformat()) == {mine.pk, hers.pk}
    assert shown(date_to=(today - timedelta(days=5)).isoformat()) == {old.pk}
    assert shown(author=alice.pk, status="succeeded") == {old.pk}


def test_favourites_only_and_pinned_only(member, member_client, alice):
    starred = make_generation(alice, "starred")
    pinned = make_generation(alice, "pinned")
    make_generation(alice, "plain")
    Favourite.set(member, starred, True)
    Favourite.set(alice, pinned, True)  # someone else's star does not count
    pinned.set_pinned(True)
    assert card_ids(member_client.get("/", {"favourites": "1"}).content.decode()) == [starred.pk]
    assert card_ids(member_client.get("/", {"pinned": "1"}).content.decode()) == [pinned.pk]


def test_htmx_filter_request_gets_the_results_partial_and_history_restore_the_page(
    member_client, alice
):
    make_generation(alice, "a red fox")
    partial = member_client.get("/", {"q": "fox"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="gallery-results"' in partial and 'id="generation-form"' not in partial
    assert "<html" not in partial
    restored = member_client.get(
        "/", {"q": "fox"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert 'id="generation-form"' in restored.content.decode()
    page = member_client.get("/", {"q": "fox"}).content.decode()
    # The filter form is a plain GET form that htmx enhances (results swap + URL push).
    assert re.search(r'<form class="filters[^>]*method="get"[^>]*hx-push-url="true"', page)
    assert 'value="fox"' in page


def test_infinite_scroll_walks_every_card_once_newest_first_without_offset(
    member_client, alice, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    generations = [make_generation(alice, f"prompt {n}") for n in range(10)]
    # Ties on created_at are broken by id.
    Generation.objects.filter(pk__in=[g.pk for g in generations[3:7]]).update(
        created_at=generations[3].created_at
    )
    expected = list(Generation.objects.order_by("-created_at", "-id").values_list("pk", flat=True))

    first = member_client.get("/").content.decode()
    seen = card_ids(first)
    more = re.search(
        r'<a class="more-link"[^>]*href="/\?([^"]*)"[^>]*hx-get="/gallery/page/\?([^"]*)"', first
    )
    assert more and 'hx-trigger="revealed, click"' in first
    with CaptureQueriesContext(connection) as queries:
        while more:
            partial = member_client.get(
                "/gallery/page/?" + more.group(2).replace("&amp;", "&"), HTTP_HX_REQUEST="true"
            ).content.decode()
            seen += card_ids(partial)
            more = re.search(r'hx-get="/gallery/page/\?([^"]*)"', partial)
            more = more and re.search(
                r'href="/\?([^"]*)"[^>]*hx-get="/gallery/page/\?([^"]*)"', partial
            )
    assert seen == expected
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)


@pytest.mark.parametrize("q", ["lighthouse", "owl rain", "DUSK Lighthouse", "owl -rain", "teapot"])
def test_search_pages_are_the_generations_of_the_matching_prompts(
    member_client, alice, monkeypatch, q
):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    texts = [
        "A lighthouse at dusk",
        "An owl in the rain",
        "Lighthouses in the rain",
        "An owl at dusk",
        "A fox",
    ]
    for n in range(16):
        make_generation(alice, texts[n % len(texts)])
    # The prompt search's own definition (full-text on PostgreSQL, every word on SQLite).
    expected = list(
        Generation.objects.filter(prompt__in=Prompt.objects.search(q))
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    html = member_client.get("/", {"q": q}).content.decode()
    seen = card_ids(html)
    while more := re.search(r'hx-get="/gallery/page/\?([^"]*)"', html):
        html = member_client.get(
            "/gallery/page/?" + more.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true"
        ).content.decode()
        seen += card_ids(html)
    assert seen == expected


def test_older_link_works_without_javascript_and_keeps_filters(member_client, alice, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    cats = [make_generation(alice, f"cat {n}") for n in range(3)]
    make_generation(alice, "dog")
    first = member_client.get("/", {"q": "cat"}).content.decode()
    href = (
        re.search(r'<a class="more-link"[^>]*href="([^"]*)"', first).group(1).replace("&amp;", "&")
    )
    assert "q=cat" in href
    older = member_client.get(href).content.decode()
    assert card_ids(older) == [cats[0].pk]
    assert 'data-live-insert="false"' in older


def test_cursor_compares_timestamps_as_stored(alice):
    """Rows written by the DB clock (Now()) and by Python must page without repeats."""
    made = [make_generation(alice, f"p{n}") for n in range(5)]
    Generation.objects.filter(pk=made[0].pk).update(
        created_at=made[1].created_at
    )  # a Python-written value
    queryset = Generation.objects.all()
    seen, cursor = [], None
    while True:
        page = paginate(queryset, "created_at", cursor, 2)
        seen += [g.pk for g in page.items]
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())
    assert sorted(seen) == sorted(g.pk for g in made) and len(seen) == len(set(seen))


def test_malformed_cursor_is_ignored(member_client, alice):
    generation = make_generation(alice)
    for cursor in ("", "nonsense", "2020-01-01~x", "~5"):
        assert card_ids(member_client.get("/", {"cursor": cursor}).content.decode()) == [
            generation.pk
        ]


def test_live_cards_go_on_top_only_of_the_unfiltered_first_page(member_client, alice):
    make_generation(alice)
    assert 'data-live-insert="true"' in member_client.get("/").content.decode()
    assert (
        'data-live-insert="false"' in member_client.get("/", {"status": "failed"}).content.decode()
    )


def test_gallery_needs_login(client):
    assert client.get("/gallery/page/").status_code == 302
    assert client.get("/prompts/").status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_postgresql_search_stems_words_and_uses_the_gin_index(alice):
    from fluxweb.generations.models import Prompt

    make_generation(alice, "Two lighthouses guarding a harbour")
    assert list(Prompt.objects.search("lighthouse").values_list("text", flat=True)) == [
        "Two lighthouses guarding a harbour"
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = Prompt.objects.search("lighthouse").explain()
        cursor.execute("RESET enable_seqscan")
    assert "prompt_text_search" in plan
