"""Providers that answer PENDING (ImagePipeline): the generation waits in scheduled poll
tasks on the real database task backend, never in a sleeping worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fluxweb.generations.models import Generation
from fluxweb.generations.tasks import generate_images
from fluxweb.providerstatus.models import ProviderStatus
from tests.factories import make_generation
from tests.provider_cases import generation_fields

pytestmark = pytest.mark.django_db(transaction=True)


def work_ready_tasks() -> None:
    """One in-process worker run over every task that is due, then stop."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def start(member, imagepipeline, pending_polls: int) -> Generation:
    imagepipeline.pending_polls = pending_polls
    generation = make_generation(member, **generation_fields("imagepipeline"))
    generate_images.enqueue(generation.pk)
    return generation


def polls(imagepipeline) -> list[str]:
    return [r.path for r in imagepipeline.requests if r.method == "GET"]


def test_pending_job_is_polled_until_success(member, imagepipeline):
    generation = start(member, imagepipeline, pending_polls=2)
    work_ready_tasks()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.images.get().width == generation.width
    job_id = generation.provider_metadata["job_id"]
    assert polls(imagepipeline) == [f"/generate/v3/status/{job_id}"] * 3
    poll_tasks = DBTaskResult.objects.filter(task_path__endswith="poll_generation")
    assert poll_tasks.count() == 3 and all(task.status == "SUCCESSFUL" for task in poll_tasks)
    assert ProviderStatus.objects.get(slug="imagepipeline").last_success_at is not None


def test_a_pending_job_does_not_hold_the_worker(member, imagepipeline, settings):
    settings.FLUXWEB_PENDING_POLL_INTERVAL = 30
    generation = start(member, imagepipeline, pending_polls=1)
    work_ready_tasks()  # returns: the only task left is due in 30 s
    generation.refresh_from_db()
    assert generation.status == Generation.Status.RUNNING
    assert (
        generation.provider_metadata["pending"]["job_id"] == generation.provider_metadata["job_id"]
    )
    (poll,) = DBTaskResult.objects.filter(task_path__endswith="poll_generation")
    assert poll.status == "READY"
    assert poll.run_after > timezone.now() + timedelta(seconds=20)
    assert polls(imagepipeline) == []

    DBTaskResult.objects.filter(pk=poll.pk).update(run_after=timezone.now())  # 30 s pass
    work_ready_tasks()  # the poll answers PENDING once more and schedules the next one
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    work_ready_tasks()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert len(polls(imagepipeline)) == 2


def test_a_job_still_pending_at_the_time_limit_fails(member, imagepipeline, settings):
    settings.FLUXWEB_PENDING_TIMEOUT = 0
    generation = start(member, imagepipeline, pending_polls=5)
    work_ready_tasks()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.FAILED
    assert generation.error == "ImagePipeline did not finish the image within 0 seconds"
    assert len(polls(imagepipeline)) == 1


def test_a_failure_reported_while_polling_fails_the_generation(member, imagepipeline):
    imagepipeline.poll_fault = "failure"
    generation = start(member, imagepipeline, pending_polls=3)
    work_ready_tasks()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.FAILED
    assert generation.error == "ImagePipeline could not generate the image: CUDA out of memory"


def test_a_rejected_key_while_polling_fails_at_once(member, imagepipeline):
    imagepipeline.poll_fault = "401"
    generation = start(member, imagepipeline, pending_polls=3)
    work_ready_tasks()
    generation.refresh_from_db()
    assert (generation.status, generation.error) == (
        Generation.Status.FAILED,
        "the provider rejected the API key",
    )
    assert len(polls(imagepipeline)) == 1


def test_transient_errors_while_polling_are_polled_again(member, imagepipeline):
    imagepipeline.poll_fault, imagepipeline.poll_fault_times = "500", 2
    generation = start(member, imagepipeline, pending_polls=1)
    work_ready_tasks()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert len(polls(imagepipeline)) == 4  # 500, 500, PENDING, SUCCESS


def test_transient_errors_until_the_time_limit_fail_with_the_last_error(
    member, imagepipeline, settings
):
    settings.FLUXWEB_PENDING_TIMEOUT = 0
    imagepipeline.poll_fault = "500"
    generation = start(member, imagepipeline, pending_polls=1)
    work_ready_tasks()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.FAILED
    assert generation.error == (
        "ImagePipeline did not finish in time; "
        "last error: ImagePipeline had a server error (HTTP 500): Internal Server Error"
    )


def test_a_generation_failed_meanwhile_is_not_polled(member, imagepipeline, settings):
    settings.FLUXWEB_PENDING_POLL_INTERVAL = 30
    generation = start(member, imagepipeline, pending_polls=1)
    work_ready_tasks()
    Generation.objects.filter(pk=generation.pk).update(
        status=Generation.Status.FAILED, error="swept"
    )
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    work_ready_tasks()
    assert polls(imagepipeline) == []
    assert not DBTaskResult.objects.filter(status="READY").exists()
