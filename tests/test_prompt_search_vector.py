"""The stored prompt tsvector (migration 0005): kept by a trigger on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from fluxweb.generations.models import Prompt

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's"),
]


def test_the_trigger_keeps_the_vector_whatever_writes_the_row():
    Prompt.objects.bulk_create([Prompt(text="Lighthouses at dusk", text_hash=Prompt.hash_text("Lighthouses at dusk"))])
    prompt = Prompt.objects.for_text("A fox in the snow")
    assert set(Prompt.objects.search("lighthouse").values_list("text", flat=True)) == {"Lighthouses at dusk"}
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
    # VACUUM; the bench's 20,000 prompts made one-word searches read the whole index (0006).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'prompt_text_search'")
        assert "fastupdate=off" in cursor.fetchone()[0]
