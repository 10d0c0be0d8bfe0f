"""The live gallery's change feed: what the SSE hub sends and how it encodes it."""

import threading
from datetime import timedelta

import pytest
from django.db import connection  # noqa: F401 (the skipif condition reads it)
from django.utils import timezone

from fluxweb.gallery.live import (
    DELETED,
    GENERATION,
    OVERLAP,
    CardEvent,
    changes_since,
    latest_version,
)
from fluxweb.generations.models import Generation, GenerationDeletion
from fluxweb.generations.services import DELETION_RETENTION, delete_generation
from fluxweb.queue import notify
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def test_changes_since_returns_changed_cards_oldest_change_first(member):
    first, second = make_generation(member, "first"), make_generation(member, "second")
    first.mark_running()
    # SQLite's clock has millisecond precision: make "first changed last" unambiguous.
    Generation.objects.filter(pk=first.pk).update(
        updated_at=second.updated_at + timedelta(milliseconds=5)
    )
    events = changes_since(None)
    assert [e.generation_id for e in events] == [second.pk, first.pk]
    assert 'class="card card--running' in events[-1].html and "first" in events[-1].html


def test_changes_since_skips_what_is_older_than_the_overlap_window(member):
    old = make_generation(member, "old")
    Generation.objects.filter(pk=old.pk).update(
        updated_at=old.updated_at - OVERLAP - timedelta(seconds=5)
    )
    fresh = make_generation(member, "fresh")
    assert [e.generation_id for e in changes_since(fresh.updated_at)] == [fresh.pk]
    assert latest_version() == fresh.updated_at


def test_event_encoding_is_valid_sse(member):
    event = CardEvent(
        5,
        make_generation(member).updated_at,
        '<article id="generation-5">\n  <p>hi</p>\n</article>\n',
    )
    text = event.encode()
    assert text.startswith(f"id: {event.version.isoformat()}\nevent: generation\n")
    assert text.endswith("data: </article>\n\n")
    assert all(line.startswith(("id: ", "event: ", "data: ")) for line in text.strip().split("\n"))


def test_prompt_markup_is_escaped_in_streamed_cards(member):
    make_generation(member, '<script>alert("x")</script>')
    (event,) = changes_since(None)
    assert "<script>" not in event.html and "&lt;script&gt;" in event.html


def test_a_deletion_is_streamed_after_the_changes_before_it(
    member, django_capture_on_commit_callbacks
):
    kept, doomed = make_generation(member, "kept"), make_generation(member, "doomed")
    cursor, doomed_id = max(kept.updated_at, doomed.updated_at), doomed.pk
    with django_capture_on_commit_callbacks(execute=True):
        delete_generation(doomed)
    events = changes_since(cursor)
    deletions = [e for e in events if e.kind == DELETED]
    assert [e.generation_id for e in deletions] == [doomed_id]
    assert events[-1] == deletions[0]  # oldest first: the deletion is the newest change
    assert deletions[0].encode().endswith(f"event: deleted\ndata: generation-{doomed_id}\n\n")
    assert doomed_id not in {e.generation_id for e in events if e.kind == GENERATION}


def test_deletions_older_than_the_overlap_are_not_replayed(member):
    doomed = make_generation(member, "doomed")
    delete_generation(doomed)
    GenerationDeletion.objects.update(deleted_at=doomed.updated_at - OVERLAP - timedelta(seconds=5))
    assert [e for e in changes_since(doomed.updated_at) if e.kind == DELETED] == []


def test_deletions_wait_behind_a_full_batch_of_changes(member):
    # The hub's cursor moves to the newest event it got: a deletion newer than a full
    # batch's last card must wait, or the changes between them would be skipped.
    first, second = make_generation(member, "first"), make_generation(member, "second")
    doomed = make_generation(member, "doomed")
    doomed_id = doomed.pk
    delete_generation(doomed)
    Generation.objects.filter(pk=second.pk).update(
        updated_at=first.updated_at + timedelta(seconds=1)
    )
    GenerationDeletion.objects.update(deleted_at=first.updated_at + timedelta(seconds=2))
    assert [(e.kind, e.generation_id) for e in changes_since(None, limit=2)] == [
        (GENERATION, first.pk),
        (GENERATION, second.pk),
    ]
    assert [(e.kind, e.generation_id) for e in changes_since(None, limit=3)] == [
        (GENERATION, first.pk),
        (GENERATION, second.pk),
        (DELETED, doomed_id),
    ]


def test_old_deletion_records_are_pruned_on_later_deletes(member):
    delete_generation(make_generation(member, "long ago"))
    GenerationDeletion.objects.update(
        deleted_at=timezone.now() - DELETION_RETENTION - timedelta(minutes=1)
    )
    recent = make_generation(member, "just now")
    recent_id = recent.pk
    delete_generation(recent)
    assert list(GenerationDeletion.objects.values_list("generation_id", flat=True)) == [recent_id]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="LISTEN/NOTIFY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_deletion_wakes_the_live_hubs_on_postgresql(member):
    generation = make_generation(member, "doomed")  # notified before anyone listens
    woke = threading.Event()
    listener = notify.Listener([notify.GENERATIONS], lambda _payload: woke.set())
    listener.start()
    try:
        assert listener.connected.wait(10)
        delete_generation(generation)  # deleting a row fires no UPDATE/INSERT trigger of its own
        assert woke.wait(10)
    finally:
        listener.stop()


def test_versions_already_sent_are_not_rendered_again_but_newer_ones_are(member):
    first, second = make_generation(member, "first"), make_generation(member, "second")
    sent = {(e.kind, e.generation_id): e.version for e in changes_since(None)}
    assert changes_since(None, sent=sent) == []
    first.mark_running()
    (event,) = changes_since(None, sent=sent)
    assert event.generation_id == first.pk and "card--running" in event.html
    assert (GENERATION, second.pk) in sent


def test_a_burst_of_changes_already_sent_does_not_hide_the_next_change(member):
    # More changes inside the overlap window than one look reads (here 3 > limit 2), all of
    # them sent already: the next change must still come. Reading the same first rows again
    # and again had stalled every open gallery after a burst (seen after 640 generations
    # were failed at once).
    burst = [make_generation(member, f"burst {i}") for i in range(3)]
    cursor = max(g.updated_at for g in burst)
    sent = {(GENERATION, g.pk): g.updated_at for g in burst}
    assert changes_since(cursor, limit=2, sent=sent) == []
    later = make_generation(member, "after the burst")

    events = changes_since(cursor, limit=2, sent=sent)

    assert [e.generation_id for e in events] == [later.pk]


def test_a_burst_of_deletions_already_sent_does_not_hide_the_next_one(member):
    doomed = [make_generation(member, f"doomed {i}") for i in range(4)]
    for generation in doomed[:3]:
        delete_generation(generation)
    sent = {(DELETED, d.generation_id): d.deleted_at for d in GenerationDeletion.objects.all()}
    last_id = doomed[3].pk
    delete_generation(doomed[3])

    events = changes_since(None, limit=2, sent=sent)

    assert [(e.kind, e.generation_id) for e in events if e.kind == DELETED] == [(DELETED, last_id)]
