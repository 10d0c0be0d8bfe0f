"""The stuck-work sweep: what it does to generations a dead worker or a lost task left."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from fluxweb.generations import sweep as sweep_module
from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from fluxweb.generations.sweep import start_periodic_sweep, sweep_stuck_work
from tests.factories import make_generation
from tests.queue_helpers import enqueued

pytestmark = pytest.mark.django_db


def stuck(author, *, called: bool, requeues: int = 0, minutes_ago: int = 30) -> Generation:
    """A generation left running ``minutes_ago`` by a worker that died."""
    generation = make_generation(author)
    started = timezone.now() - timedelta(minutes=minutes_ago)
    Generation.objects.filter(pk=generation.pk).update(
        status=Generation.Status.RUNNING,
        started_at=started,
        provider_called_at=started if called else None,
        requeues=requeues,
    )
    generation.refresh_from_db()
    return generation


def test_generation_stuck_before_the_provider_call_is_requeued_once(
    member, django_capture_on_commit_callbacks
):
    generation = stuck(member, called=False)
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.requeued == [generation.pk] and report.failed == []
    assert generation.status == Generation.Status.QUEUED
    assert (generation.started_at, generation.provider_called_at, generation.requeues) == (
        None,
        None,
        1,
    )
    assert tasks == [("generate_images", [generation.pk])]


def test_generation_stuck_again_before_the_call_is_failed(member):
    generation = stuck(member, called=False, requeues=1)
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk]
    assert generation.status == Generation.Status.FAILED
    assert "stopped twice" in generation.error


def test_generation_stuck_during_the_provider_call_is_failed_not_retried(
    member, django_capture_on_commit_callbacks
):
    generation = stuck(member, called=True)
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk] and report.requeued == []
    assert generation.status == Generation.Status.FAILED
    assert "may already have made" in generation.error
    assert generation.finished_at is not None
    assert tasks == []


def test_work_within_its_deadline_and_finished_work_are_left_alone(member):
    recent = stuck(member, called=True, minutes_ago=1)
    done = make_generation(member, status=Generation.Status.SUCCEEDED)
    queued = make_generation(member)
    report = sweep_stuck_work(stuck_after=600)
    assert report.as_dict() == {"requeued": [], "failed": [], "charged_holds": []}
    for generation, status in ((recent, "running"), (done, "succeeded"), (queued, "queued")):
        generation.refresh_from_db()
        assert generation.status == status


def test_two_sweeps_at_once_finish_a_generation_once(member):
    generation = stuck(member, called=True)
    first = sweep_stuck_work(stuck_after=60)
    second = sweep_stuck_work(stuck_after=60)
    assert first.failed == [generation.pk] and second.failed == []


def test_every_worker_sweeps_periodically_until_it_stops(monkeypatch):
    swept = threading.Event()
    monkeypatch.setattr(sweep_module, "sweep_stuck_work", lambda: swept.set())
    stop = threading.Event()
    thread = start_periodic_sweep(stop, interval=0.05)
    assert swept.wait(timeout=10)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_failing_sweep_does_not_stop_the_next(monkeypatch):
    runs: list[int] = []
    done = threading.Event()

    def flaky() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("database went away")
        done.set()

    monkeypatch.setattr(sweep_module, "sweep_stuck_work", flaky)
    stop = threading.Event()
    thread = start_periodic_sweep(stop, interval=0.05)
    assert done.wait(timeout=10)
    stop.set()
    thread.join(timeout=10)


def test_sweep_command_prints_its_report(member):
    generation = stuck(member, called=True)
    out = StringIO()
    call_command("sweep", "--stuck-after", "60", stdout=out)
    assert json.loads(out.getvalue()) == {
        "requeued": [],
        "failed": [generation.pk],
        "charged_holds": [],
    }


def test_the_provider_call_is_recorded_with_the_claim(member):
    unasked, asked = make_generation(member), make_generation(member)
    assert unasked.mark_running() and asked.mark_running(provider_called=True)
    assert unasked.provider_called_at is None  # read from the row: the claim left it unset
    assert asked.provider_called_at is not None
    assert asked.mark_running(provider_called=True) is False  # only a queued one is claimed


def waiting_on_job(generation: Generation, deadline_in_minutes: int) -> Generation:
    """Mark ``generation`` as waiting on a provider's pending job (running.wait_for_job)."""
    deadline = timezone.now() + timedelta(minutes=deadline_in_minutes)
    generation.provider_metadata = {
        "pending": {"job_id": "job-1", "metadata": {}, "deadline": deadline.isoformat()}
    }
    generation.save(update_fields=["provider_metadata"])
    return generation


def test_a_pending_job_within_its_deadline_is_left_to_its_polls(member):
    generation = waiting_on_job(stuck(member, called=True, minutes_ago=30), deadline_in_minutes=5)
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [] and generation.status == Generation.Status.RUNNING


def test_a_pending_job_long_past_its_deadline_is_failed(member):
    # Its poll task was lost with a dead worker: nothing else would ever finish it.
    generation = waiting_on_job(stuck(member, called=True, minutes_ago=30), deadline_in_minutes=-10)
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk] and generation.status == Generation.Status.FAILED


def lost(author, *, requeues: int = 0, minutes_ago: int = 30) -> Generation:
    """A generation queued ``minutes_ago`` whose task never made it (a crash between the
    submit's commit and the enqueue), or vanished."""
    generation = make_generation(author)
    Generation.objects.filter(pk=generation.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes_ago), requeues=requeues
    )
    generation.refresh_from_db()
    return generation


def test_a_queued_generation_without_a_task_is_enqueued_again_once(
    member, django_capture_on_commit_callbacks
):
    generation = lost(member)
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=60)
    assert report.requeued == [generation.pk]
    generation.refresh_from_db()
    assert (generation.status, generation.requeues) == (Generation.Status.QUEUED, 1)
    assert tasks == [("generate_images", [generation.pk])]
    # Requeueing restarted its wait: the next sweep leaves it alone for another stuck_after.
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        assert sweep_stuck_work(stuck_after=60).as_dict() == {
            "requeued": [],
            "failed": [],
            "charged_holds": [],
        }
    assert tasks == []


def test_a_queued_generation_lost_twice_is_failed_and_refunded(member):
    from fluxweb.budgets.models import LedgerEntry
    from fluxweb.budgets.services import reserve

    generation = lost(member, requeues=1)
    generation.hold = reserve(member, generation.model, Decimal("0.01"), 1).hold
    generation.save(update_fields=["hold"])
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk]
    assert (
        generation.status == Generation.Status.FAILED
        and "waited in the queue far too long" in generation.error
    )
    assert (
        LedgerEntry.objects.filter(hold=generation.hold, kind=LedgerEntry.Kind.REFUND).count() == 1
    )


def test_just_queued_generations_are_left_alone(member, django_capture_on_commit_callbacks):
    just_queued = make_generation(member, "just now")
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=60)
    assert report.requeued == [] and report.failed == [] and tasks == []
    just_queued.refresh_from_db()
    assert just_queued.status == Generation.Status.QUEUED


def test_requeueing_a_generation_whose_task_was_only_slow_is_harmless(
    member, django_capture_on_commit_callbacks
):
    # A backlog: its first task still waits when the sweep enqueues a second one.
    generation = lost(member)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stuck_work(stuck_after=60).requeued == [generation.pk]
    first, second = run_generation(generation.pk), run_generation(generation.pk)
    assert first is not None and first.status == Generation.Status.SUCCEEDED
    assert second is None  # only one run claims the queued generation
