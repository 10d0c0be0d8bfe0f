"""The stored prompt tsvector (migration 0005): kept by a trigger on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from fluxweb.generations.models import Prompt

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="full-text search is PostgreSQL's"
    ),
]


def test_the_trigger_keeps_the_vector_whatever_writes_the_row():
    Prompt.objects.bulk_create(
        [Prompt(text="Lighthouses at dusk", text_hash=Prompt.hash_text("Lighthouses at dusk"))]
    )
    prompt = Prompt.objects.for_text("A fox in the snow")
    assert set(Prompt.objects.search("lighthouse").values_list("text", flat=True)) == {
        "Lighthouses at dusk"
    }
    assert list(Prompt.objects.search("foxes").values_list("pk", flat=True)) == [prompt.pk]
    # A save() writes search_vector back as loaded (or None): the trigger recomputes it.
    prompt.refresh_from_db()
    prompt.text = "An owl in the snow"
    prompt.save()
    assert not Prompt.objects.search("fox").exists()
    assert list(Prompt.objects.search("owls").values_list("pk", flat=True)) == [prompt.pk]
    Prompt.objects.filter(pk=prompt.pk).update(use_count=3)  # other columns leave it alone
    assert list(Prompt.objects.search("owl").values_list("pk", flat=True)) == [prompt.pk]


def test_the_search_index_has_no_pending_list():
    # With GIN's fastupdate, new prompts pile up in a list every search reads in full until a
    # VACUUM; the bench's 20,000 prompts made one-word searches read the whole index (0007).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'prompt_text_search'")
        assert "fastupdate=off" in cursor.fetchone()[0]


def test_generations_carry_their_prompts_vector_for_the_gallery_search(member):
    from fluxweb.generations.models import Generation
    from tests.factories import make_generation

    heron = make_generation(member, "A heron in the fog")
    bulk = Generation.objects.bulk_create(
        [
            Generation(
                author=member,
                prompt=Prompt.objects.for_text("Lighthouses at dusk"),
                provider="demo",
                model="demo/placeholder",
                width=256,
                height=256,
                num_images=1,
            )
        ]
    )[0]
    assert list(Generation.objects.search_prompt("herons").values_list("pk", flat=True)) == [
        heron.pk
    ]
    assert list(Generation.objects.search_prompt("lighthouse").values_list("pk", flat=True)) == [
        bulk.pk
    ]
    # Moved to another prompt (never done by the app, but raw writes may): the copy follows.
    Generation.objects.filter(pk=heron.pk).update(prompt=Prompt.objects.for_text("An owl at night"))
    assert not Generation.objects.search_prompt("heron").exists()
    assert list(Generation.objects.search_prompt("owls").values_list("pk", flat=True)) == [heron.pk]
    # Status changes keep it.
    heron.refresh_from_db()
    heron.mark_running()
    assert Generation.objects.search_prompt("owl").get().pk == heron.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'generation_prompt_search'")
        assert "fastupdate=off" in cursor.fetchone()[0]
