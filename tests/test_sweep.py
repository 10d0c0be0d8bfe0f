"""The stuck-work sweep: what it does to generations and task rows a dead worker left."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fluxweb.generations.models import Generation
from fluxweb.generations.tasks import generate_images
from fluxweb.ops.sweep import WORKER_LOST, sweep_stuck_work
from fluxweb.ops.tasks import schedule_sweep, sweep
from tests.factories import make_generation

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


def test_generation_stuck_before_the_provider_call_is_requeued_once(member, django_capture_on_commit_callbacks):
    generation = stuck(member, called=False)
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.requeued == [generation.pk] and report.failed == []
    assert generation.status == Generation.Status.QUEUED
    assert (generation.started_at, generation.provider_called_at, generation.requeues) == (None, None, 1)
    (task_row,) = DBTaskResult.objects.filter(task_path=generate_images.module_path)
    assert task_row.args_kwargs["args"] == [generation.pk]


def test_generation_stuck_again_before_the_call_is_failed(member):
    generation = stuck(member, called=False, requeues=1)
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk]
    assert generation.status == Generation.Status.FAILED
    assert "stopped twice" in generation.error


def test_generation_stuck_during_the_provider_call_is_failed_not_retried(member):
    generation = stuck(member, called=True)
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk] and report.requeued == []
    assert generation.status == Generation.Status.FAILED
    assert "may already have made" in generation.error
    assert generation.finished_at is not None
    assert not DBTaskResult.objects.exists()


def test_work_within_its_deadline_and_finished_work_are_left_alone(member):
    recent = stuck(member, called=True, minutes_ago=1)
    done = make_generation(member, status=Generation.Status.SUCCEEDED)
    queued = make_generation(member)
    report = sweep_stuck_work(stuck_after=600)
    assert report.as_dict() == {"requeued": [], "failed": [], "released_tasks": 0}
    for generation, status in ((recent, "running"), (done, "succeeded"), (queued, "queued")):
        generation.refresh_from_db()
        assert generation.status == status


def test_task_rows_left_running_by_a_dead_worker_are_released():
    old = generate_images.enqueue(1)
    fresh = generate_images.enqueue(2)
    DBTaskResult.objects.filter(pk=old.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1), worker_ids=["gone"]
    )
    DBTaskResult.objects.filter(pk=fresh.id).update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    report = sweep_stuck_work(stuck_after=60)
    assert report.released_tasks == 1
    old_row, fresh_row = DBTaskResult.objects.get(pk=old.id), DBTaskResult.objects.get(pk=fresh.id)
    assert (old_row.status, old_row.exception_class_path) == (TaskResultStatus.FAILED, WORKER_LOST)
    assert old_row.finished_at is not None
    assert fresh_row.status == TaskResultStatus.RUNNING


def test_two_sweeps_at_once_finish_a_generation_once(member):
    generation = stuck(member, called=True)
    first = sweep_stuck_work(stuck_after=60)
    second = sweep_stuck_work(stuck_after=60)
    assert first.failed == [generation.pk] and second.failed == []


def test_the_sweep_keeps_exactly_one_run_scheduled(settings):
    settings.FLUXWEB_SWEEP_INTERVAL = 30
    assert schedule_sweep() is True
    assert schedule_sweep() is False
    waiting = DBTaskResult.objects.get(task_path=sweep.module_path)
    assert waiting.run_after > timezone.now() + timedelta(seconds=20)
    # A run (as the worker does it) finds the next one waiting and adds no second.
    sweep.call()
    assert DBTaskResult.objects.filter(task_path=sweep.module_path, status=TaskResultStatus.READY).count() == 1


def test_a_sweep_run_schedules_the_next(settings):
    settings.FLUXWEB_SWEEP_INTERVAL = 30
    assert sweep.call() == {"requeued": [], "failed": [], "released_tasks": 0}
    (waiting,) = DBTaskResult.objects.filter(task_path=sweep.module_path, status=TaskResultStatus.READY)
    assert waiting.run_after > timezone.now()


def test_sweep_command_prints_its_report(member):
    generation = stuck(member, called=True)
    out = StringIO()
    call_command("sweep", "--stuck-after", "60", stdout=out)
    assert json.loads(out.getvalue()) == {"requeued": [], "failed": [generation.pk], "released_tasks": 0}


def test_the_provider_call_is_recorded_before_it_happens(member):
    generation = make_generation(member)
    assert generation.mark_provider_called() is False  # only while running
    assert generation.mark_running()
    Generation.objects.filter(pk=generation.pk).update(updated_at=Now())
    assert generation.mark_provider_called() is True
    assert generation.provider_called_at is not None


def waiting_on_job(generation: Generation, deadline_in_minutes: int) -> Generation:
    """Mark ``generation`` as waiting on a provider's pending job (services.wait_for_job)."""
    deadline = timezone.now() + timedelta(minutes=deadline_in_minutes)
    generation.provider_metadata = {"pending": {"job_id": "job-1", "metadata": {}, "deadline": deadline.isoformat()}}
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
    """A generation queued ``minutes_ago`` whose task row never made it (or vanished)."""
    generation = make_generation(author)
    Generation.objects.filter(pk=generation.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes_ago), requeues=requeues)
    generation.refresh_from_db()
    return generation


def test_a_queued_generation_whose_task_was_lost_is_enqueued_again_once(member, django_capture_on_commit_callbacks):
    generation = lost(member)
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=60)
    assert report.requeued == [generation.pk]
    generation.refresh_from_db()
    assert (generation.status, generation.requeues) == (Generation.Status.QUEUED, 1)
    (task_row,) = DBTaskResult.objects.filter(task_path=generate_images.module_path)
    assert task_row.args_kwargs["args"] == [generation.pk]
    # Its task row now waits: the next sweep leaves it alone.
    Generation.objects.filter(pk=generation.pk).update(updated_at=timezone.now() - timedelta(minutes=30))
    assert sweep_stuck_work(stuck_after=60).requeued == []


def test_a_queued_generation_lost_twice_is_failed_and_refunded(member):
    from fluxweb.budgets.models import LedgerEntry
    from fluxweb.budgets.services import reserve

    generation = lost(member, requeues=1)
    generation.hold = reserve(member, generation.model, Decimal("0.01"), 1).hold
    generation.save(update_fields=["hold"])
    report = sweep_stuck_work(stuck_after=60)
    generation.refresh_from_db()
    assert report.failed == [generation.pk]
    assert generation.status == Generation.Status.FAILED and "lost its place in the queue" in generation.error
    assert LedgerEntry.objects.filter(hold=generation.hold, kind=LedgerEntry.Kind.REFUND).count() == 1


def test_queued_generations_with_a_waiting_task_or_just_queued_are_left_alone(member, django_capture_on_commit_callbacks):
    waiting = lost(member)
    generate_images.enqueue(waiting.pk)  # a backlog: old, but its task row is READY
    just_queued = make_generation(member, "just now")  # its task is enqueued on commit
    report = sweep_stuck_work(stuck_after=60)
    assert report.requeued == [] and report.failed == []
    assert {g.status for g in Generation.objects.filter(pk__in=[waiting.pk, just_queued.pk])} == {
        Generation.Status.QUEUED}
