"""The prompt history's pages (fluxweb/gallery/queries.history_page) against a plain
Python reading of the same rows."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fluxweb.gallery.filters import FilterForm, start_of_day
from fluxweb.gallery.models import Favourite
from fluxweb.gallery.queries import history_page
from fluxweb.generations.models import GeneratedImage, Generation, Prompt
from tests.factories import make_finished_generation, make_generation

pytestmark = pytest.mark.django_db

WORDS = ("lighthouse", "owl", "fox", "rain", "dusk")


@pytest.fixture
def history(member, alice, django_user_model):
    """Prompts used by several people, some generations without images (queued, failed),
    some with several images, one by a deleted user, stars and a pin."""
    carol = django_user_model.objects.create_user(
        "carol", "carol@example.com", "carol-password-123"
    )
    rng = random.Random(3)
    now = timezone.now()
    texts = [f"A {rng.choice(WORDS)} {rng.choice(WORDS)} #{n}" for n in range(14)]
    for n in range(90):
        author = rng.choice([member, alice, carol])
        status = rng.choice(["succeeded"] * 5 + ["failed", "queued"])
        generation = make_generation(
            author,
            rng.choice(texts),
            status=status,
            num_images=rng.choice([1, 1, 2, 3]),
            pinned=rng.random() < 0.1,
        )
        created = now - timedelta(hours=rng.randrange(24 * 20), seconds=n)
        Generation.objects.filter(pk=generation.pk).update(created_at=created)
        if status == "succeeded":
            # Indexes stored out of order, so "first image" has to mean the lowest index.
            for index in rng.sample(range(generation.num_images), generation.num_images):
                GeneratedImage.objects.create(
                    generation=generation,
                    index=index,
                    file=f"x/{n}-{index}.png",
                    content_type="image/png",
                    width=64 + index,
                    height=64,
                    size_bytes=100,
                )
        if rng.random() < 0.3:
            Favourite.set(member, generation, True)
    Prompt.objects.recount(list(Prompt.objects.values_list("pk", flat=True)))
    carol.delete()  # their generations stay, without an author
    return member


def expected_history(user, data):
    """Every page of the history, read the slow, obvious way."""
    values = FilterForm(data).values
    matching = (
        set(Prompt.objects.search(values["q"]).values_list("pk", flat=True))
        if "q" in values
        else None
    )
    favourites = set(Favourite.objects.filter(user=user).values_list("generation_id", flat=True))

    def passes(g):
        return all(
            [
                "author" not in values or g.author_id == values["author"],
                "provider" not in values or g.provider == values["provider"],
                "model" not in values or g.model == values["model"],
                "status" not in values or g.status == values["status"],
                "date_from" not in values or g.created_at >= start_of_day(values["date_from"]),
                "date_to" not in values
                or g.created_at < start_of_day(values["date_to"] + timedelta(days=1)),
                not values.get("favourites") or g.pk in favourites,
                not values.get("pinned") or g.pinned,
            ]
        )

    rows = []
    for prompt in Prompt.objects.exclude(last_used_at=None).order_by("-last_used_at", "-id"):
        generations = sorted(
            prompt.generations.select_related("author"),
            key=lambda g: (g.created_at, g.pk),
            reverse=True,
        )
        shown = [g for g in generations if passes(g)]
        if (matching is not None and prompt.pk not in matching) or (
            set(values) - {"q"} and not shown
        ):
            continue
        latest = []
        for g in shown[:4]:
            images = sorted(g.images.all(), key=lambda i: i.index)
            if images:
                latest.append((g.pk, images[0].pk, images[0].width, images[0].height))
        authors = sorted({g.author.username for g in generations if g.author})
        rows.append(
            (prompt.pk, prompt.text, prompt.use_count, prompt.last_used_at, authors, latest)
        )
    return rows


def walk_history(user, data, size):
    filters, cursor, rows = FilterForm(data), None, []
    while True:
        page = history_page(user, filters, cursor, size)
        rows += [
            (
                p.pk,
                p.text,
                p.use_count,
                p.last_used_at,
                p.author_names,
                [tuple(i) for i in p.latest],
            )
            for p in page.items
        ]
        if page.next_cursor is None:
            return rows
        assert len(page.items) == size
        cursor = page.next_cursor


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": "owl"},
        {"q": "lighthouse dusk"},
        {"status": "failed"},
        {"favourites": "1"},
        {"pinned": "1"},
        {"q": "fox", "favourites": "1"},
        {"provider": "demo", "model": "demo/placeholder"},
        {"date_from": "REL-5"},
        {"date_to": "REL-5", "status": "succeeded"},
    ],
)
def test_every_page_matches_a_plain_reading_of_the_rows(history, alice, data):
    today = timezone.localdate()
    data = {
        k: (today - timedelta(days=5)).isoformat() if v == "REL-5" else v for k, v in data.items()
    }
    expected = expected_history(history, data)
    assert expected, "the fixture should give this filter something to show"
    assert walk_history(history, data, 5) == expected
    assert walk_history(history, {**data, "author": str(alice.pk)}, 4) == expected_history(
        history, {**data, "author": str(alice.pk)}
    )


def test_query_count_does_not_grow_with_the_page(history):
    filters = FilterForm({})

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            page = history_page(history, filters, None, size)
        assert len(page.items) == size
        return len(queries)

    assert count(2) == count(12) == 2


def prompt_row(html: str, pk: int) -> str:
    match = re.search(rf'<article class="prompt-row[^>]*id="prompt-{pk}".*?</article>', html, re.S)
    assert match, f"prompt {pk} not on the page"
    return match.group(0)


def test_rows_change_when_the_prompt_is_used_again(member, member_client, alice):
    owl = make_finished_generation(alice, "A snowy owl")
    make_finished_generation(member, "A red fox")
    first = member_client.get("/prompts/").content.decode()
    assert "Used 1 time" in prompt_row(first, owl.prompt_id)

    newer = make_finished_generation(member, "A snowy owl")
    html = member_client.get("/prompts/").content.decode()
    row = prompt_row(html, owl.prompt_id)
    assert "Used 2 times" in row and "alice, bob" in row
    assert (
        f"/images/{newer.images.get().pk}/thumb/" in row
        and f"/images/{owl.images.get().pk}/thumb/" in row
    )
    alice.username = "alicia"  # nothing about the prompt changed but what its row shows
    alice.save()
    assert "alicia, bob" in prompt_row(
        member_client.get("/prompts/").content.decode(), owl.prompt_id
    )
    # A filter that shows other images of the same prompt is another row.
    mine = member_client.get("/prompts/", {"author": member.pk}).content.decode()
    assert f"/images/{owl.images.get().pk}/thumb/" not in prompt_row(mine, owl.prompt_id)


def test_history_pages_work_without_javascript(member, member_client, monkeypatch):
    monkeypatch.setattr("fluxweb.gallery.history.HISTORY_PAGE_SIZE", 2)
    prompts = [make_generation(member, f"prompt number {n}").prompt_id for n in range(5)]
    seen, url = [], "/prompts/"
    with CaptureQueriesContext(connection) as queries:
        while url:
            html = member_client.get(url).content.decode()
            seen += [int(pk) for pk in re.findall(r'id="prompt-(\d+)"', html)]
            more = re.search(r'<a class="more-link"[^>]*href="([^"]*)"', html)
            url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == prompts[::-1]
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
