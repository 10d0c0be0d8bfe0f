"""Worker heartbeats: a generation whose worker stopped beating is recovered within a
minute (not after ``FLUXWEB_STUCK_AFTER``), while work of live workers, and pending jobs
that poll tasks finish, are left alone."""

from __future__ import annotations

import re
import signal
import socket
import threading
from datetime import timedelta

import pytest
from django.db.models.functions import Now
from django.utils import timezone

from fluxweb.budgets.models import Hold
from fluxweb.core.redact import redact
from fluxweb.generations.models import Generation
from fluxweb.generations.sweep import sweep_stuck_work
from fluxweb.queue import heartbeat
from fluxweb.queue.models import WorkerHeartbeat
from tests.factories import make_generation
from tests.processes import kill_group, wait_for, worker
from tests.queue_helpers import enqueued
from tests.test_worker_recovery import deepinfra_env, finished, submit


def claimed(
    author, worker_id: str, *, called: bool, seconds_ago: float = 120, **fields
) -> Generation:
    """A generation that worker ``worker_id`` claimed ``seconds_ago``."""
    generation = make_generation(author, **fields)
    started = timezone.now() - timedelta(seconds=seconds_ago)
    Generation.objects.filter(pk=generation.pk).update(
        status=Generation.Status.RUNNING,
        started_at=started,
        worker_id=worker_id,
        provider_called_at=started if called else None,
    )
    generation.refresh_from_db()
    return generation


def beat_at(worker_id: str, seconds_ago: float) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, beat_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.mark.django_db
def test_a_dead_workers_called_generation_is_failed_long_before_stuck_after(member, settings):
    settings.FLUXWEB_WORKER_DEAD_AFTER = 30
    beat_at("dead", seconds_ago=45)
    generation = claimed(member, "dead", called=True)
    report = sweep_stuck_work(stuck_after=3600)
    generation.refresh_from_db()
    assert report.failed == [generation.pk]
    assert generation.status == Generation.Status.FAILED
    assert "stopped while" in generation.error


@pytest.mark.django_db
def test_a_dead_workers_uncalled_generation_is_requeued(
    member, settings, django_capture_on_commit_callbacks
):
    settings.FLUXWEB_WORKER_DEAD_AFTER = 30
    generation = claimed(member, "gone-without-a-row", called=False)
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        report = sweep_stuck_work(stuck_after=3600)
    generation.refresh_from_db()
    assert report.requeued == [generation.pk]
    assert generation.status == Generation.Status.QUEUED
    assert tasks == [("generate_images", [generation.pk])]


@pytest.mark.django_db
def test_live_workers_fresh_claims_and_pending_jobs_are_left_alone(member, settings):
    settings.FLUXWEB_WORKER_DEAD_AFTER = 30
    beat_at("alive", seconds_ago=5)
    beat_at("dead", seconds_ago=300)
    live = claimed(member, "alive", called=True)
    just_claimed = claimed(member, "dead", called=True, seconds_ago=5)
    deadline = (timezone.now() + timedelta(minutes=5)).isoformat()
    pending = claimed(
        member,
        "dead",
        called=True,
        provider_metadata={"pending": {"job_id": "j", "deadline": deadline, "poll_at": deadline}},
    )
    unstamped = claimed(member, "", called=True)  # claimed before heartbeats: STUCK_AFTER's
    report = sweep_stuck_work(stuck_after=3600)
    assert report.as_dict() == {"requeued": [], "failed": [], "charged_holds": []}
    for generation in (live, just_claimed, pending, unstamped):
        generation.refresh_from_db()
        assert generation.status == Generation.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_stamps_claims_beats_and_removes_its_row_on_stop(member):
    beating = heartbeat.Heartbeat("test-worker-1", interval=0.05)
    beating.start()
    try:
        first = wait_for(lambda: WorkerHeartbeat.objects.filter(pk="test-worker-1").first())
        WorkerHeartbeat.objects.filter(pk="test-worker-1").update(
            beat_at=Now() - timedelta(hours=1)
        )
        wait_for(lambda: WorkerHeartbeat.objects.get(pk="test-worker-1").beat_at >= first.beat_at)
        generation = make_generation(member)
        assert generation.mark_running()
        assert generation.worker_id == "test-worker-1"
    finally:
        beating.stop()
    assert not WorkerHeartbeat.objects.filter(pk="test-worker-1").exists()
    assert heartbeat.current_worker_id() == ""


@pytest.mark.django_db(transaction=True)
def test_killed_worker_generation_is_failed_and_refunded_by_the_next_worker(
    member_client, deepinfra, tmp_path
):
    deepinfra.gate = threading.Event()  # the provider call never answers while the worker lives
    with worker(deepinfra_env(deepinfra), tmp_path / "killed.log") as doomed:
        generation = submit(member_client)
        wait_for(lambda: deepinfra.in_flight)
        generation.refresh_from_db()
        # The worker's id says where it runs, and logs show it as it is.
        host = re.escape(socket.gethostname()[:30])
        assert re.fullmatch(rf"{host}-\d+-[a-z0-9]{{12}}", generation.worker_id)
        assert redact(generation.worker_id) == generation.worker_id
        assert WorkerHeartbeat.objects.filter(pk=generation.worker_id).exists()
        kill_group(doomed)
        assert doomed.wait(timeout=10) == -signal.SIGKILL
    assert Hold.objects.get(pk=generation.hold_id).state == Hold.State.HELD

    # FLUXWEB_STUCK_AFTER stays an hour: only the missing heartbeat can finish it.
    env = deepinfra_env(
        deepinfra,
        FLUXWEB_STUCK_AFTER="3600",
        FLUXWEB_SWEEP_INTERVAL="0.3",
        FLUXWEB_WORKER_DEAD_AFTER="2",
        FLUXWEB_HEARTBEAT_INTERVAL="0.3",
    )
    with worker(env, tmp_path / "rescuer.log"):
        wait_for(lambda: finished(generation), timeout=60)
    assert generation.status == Generation.Status.FAILED
    assert "stopped while DeepInfra was working on it" in generation.error
    assert Hold.objects.get(pk=generation.hold_id).state == Hold.State.RELEASED
    assert len(deepinfra.requests) == 1
