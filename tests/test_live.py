"""The live gallery's change feed: what the SSE hub sends and how it encodes it."""

from datetime import timedelta

import pytest

from fluxweb.gallery.live import OVERLAP, CardEvent, changes_since, latest_version
from fluxweb.generations.models import Generation
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def test_changes_since_returns_changed_cards_oldest_change_first(member):
    first, second = make_generation(member, "first"), make_generation(member, "second")
    first.mark_running()
    # SQLite's clock has millisecond precision: make "first changed last" unambiguous.
    Generation.objects.filter(pk=first.pk).update(updated_at=second.updated_at + timedelta(milliseconds=5))
    events = changes_since(None)
    assert [e.generation_id for e in events] == [second.pk, first.pk]
    assert 'class="card card--running"' in events[-1].html and "first" in events[-1].html


def test_changes_since_skips_what_is_older_than_the_overlap_window(member):
    old = make_generation(member, "old")
    Generation.objects.filter(pk=old.pk).update(updated_at=old.updated_at - OVERLAP - timedelta(seconds=5))
    fresh = make_generation(member, "fresh")
    assert [e.generation_id for e in changes_since(fresh.updated_at)] == [fresh.pk]
    assert latest_version() == fresh.updated_at


def test_event_encoding_is_valid_sse(member):
    event = CardEvent(5, make_generation(member).updated_at, "<article id=\"generation-5\">\n  <p>hi</p>\n</article>\n")
    text = event.encode()
    assert text.startswith(f"id: {event.version.isoformat()}\nevent: generation\n")
    assert text.endswith("data: </article>\n\n")
    assert all(line.startswith(("id: ", "event: ", "data: ")) for line in text.strip().split("\n"))


def test_prompt_markup_is_escaped_in_streamed_cards(member):
    make_generation(member, '<script>alert("x")</script>')
    (event,) = changes_since(None)
    assert "<script>" not in event.html and "&lt;script&gt;" in event.html
