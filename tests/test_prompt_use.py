"""Prompt.objects.use: the one statement that finds or creates a prompt and counts a use."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fluxweb.generations.models import Prompt

pytestmark = pytest.mark.django_db


def test_a_new_text_is_created_with_one_use_and_a_known_one_counts_another():
    with CaptureQueriesContext(connection) as queries:
        first = Prompt.objects.use("A fox in the snow")
    assert len(queries) == 1
    assert (first.text, first.text_hash, first.use_count) == (
        "A fox in the snow",
        Prompt.hash_text("A fox in the snow"),
        1,
    )
    assert first.created_at is not None and first.last_used_at is not None
    Prompt.objects.filter(pk=first.pk).update(last_used_at=first.last_used_at.replace(year=2000))
    again = Prompt.objects.use("A fox in the snow")
    assert again.pk == first.pk and again.use_count == 2 and again.last_used_at.year > 2000
    assert again.created_at == first.created_at and again.text == "A fox in the snow"
    other = Prompt.objects.use("An owl at night")
    assert other.pk != first.pk and other.use_count == 1
    assert Prompt.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_an_upserted_prompt_is_searchable():
    prompt = Prompt.objects.use("Lighthouses at dusk")
    Prompt.objects.use("Lighthouses at dusk")
    assert list(Prompt.objects.search("lighthouse").values_list("pk", flat=True)) == [prompt.pk]
