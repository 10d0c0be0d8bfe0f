"""Finding work a dead worker left behind, and finishing it.

A worker killed mid-task (SIGKILL, out of memory, a lost machine) leaves its generation
``running`` and its django-tasks-db row ``RUNNING`` forever: nothing in the queue notices.
:func:`sweep_stuck_work` does, once either has been running for longer than
``FLUXWEB_STUCK_AFTER`` seconds, which is longer than a live worker can take (every
provider attempt timing out plus the waits between them).

A stuck generation whose provider call had not started yet is put back in the queue, once;
one whose call may have happened is failed through ``fail_generation`` (which returns its
budget), since retrying could make, and charge for, the image twice.

A generation still ``queued`` long after it was queued, with no task row waiting to run it,
lost its place in the queue (its task row was deleted by hand, or a restore brought back one
table without the other; a submit writes both in one transaction): it is enqueued again, once, and failed with
its budget returned if that is lost too.

A generation waiting on a provider's pending job (ImagePipeline) legitimately stays
``running`` until the job's own deadline (``FLUXWEB_PENDING_TIMEOUT``), polled by follow-up
tasks; the sweep leaves it alone until that deadline plus ``FLUXWEB_STUCK_AFTER``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fluxweb.generations.models import Generation
from fluxweb.generations.services import fail_generation

logger = logging.getLogger(__name__)

# A generation is put back in the queue at most this many times.
MAX_REQUEUES = 1
WORKER_LOST = "fluxweb.ops.sweep.WorkerLost"


@dataclass
class SweepReport:
    """What one sweep did: generation ids re-queued and failed, task rows released."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    released_tasks: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"requeued": self.requeued, "failed": self.failed, "released_tasks": self.released_tasks}


def sweep_stuck_work(stuck_after: float | None = None) -> SweepReport:
    """Finish every generation and task row running for more than ``stuck_after`` seconds
    (default ``FLUXWEB_STUCK_AFTER``). Safe to run anywhere, any number of times at once:
    every change is a conditional update."""
    stuck_after = settings.FLUXWEB_STUCK_AFTER if stuck_after is None else stuck_after
    now = timezone.now()
    deadline = now - timedelta(seconds=stuck_after)
    report = SweepReport()
    stuck = Generation.objects.filter(status=Generation.Status.RUNNING, started_at__lt=deadline)
    for generation in stuck.order_by("started_at"):
        if _waiting_on_pending_job(generation, now - timedelta(seconds=stuck_after)):
            continue
        if generation.provider_called_at is None and generation.requeues < MAX_REQUEUES:
            if _requeue(generation, generation.requeue):
                report.requeued.append(generation.pk)
        elif fail_generation(generation, _reason(generation)):
            report.failed.append(generation.pk)
    for generation in lost_in_queue(deadline):
        if generation.requeues < MAX_REQUEUES:
            if _requeue(generation, generation.requeue_lost):
                report.requeued.append(generation.pk)
        elif fail_generation(generation, LOST_IN_QUEUE):
            report.failed.append(generation.pk)
    report.released_tasks = release_lost_tasks(deadline)
    if report.requeued or report.failed or report.released_tasks:
        logger.warning(
            "sweep: requeued=%s failed=%s released_tasks=%s",
            report.requeued, report.failed, report.released_tasks,
            extra={"event": "sweep", **report.as_dict()},
        )
    return report


def release_lost_tasks(started_before) -> int:
    """Mark django-tasks-db rows still ``RUNNING`` since before ``started_before`` (an
    aware datetime) as ``FAILED``: their worker is gone, and no worker picks up RUNNING
    rows. Returns how many rows changed."""
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=started_before
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=WORKER_LOST,
        traceback="The worker running this task stopped without finishing it (found by the sweep).",
    )


def lost_in_queue(queued_before: datetime) -> list[Generation]:
    """Generations queued (or last changed) before ``queued_before`` that no ``READY`` or
    ``RUNNING`` generate_images task row will run: nothing would ever pick them up."""
    from fluxweb.generations.tasks import generate_images

    candidates = list(Generation.objects.filter(status=Generation.Status.QUEUED, updated_at__lt=queued_before))
    if not candidates:
        return []
    waiting = DBTaskResult.objects.filter(
        task_path=generate_images.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        args_kwargs__args__0__in=[g.pk for g in candidates],
    ).values_list("args_kwargs__args__0", flat=True)
    covered = set(waiting)
    return [g for g in candidates if g.pk not in covered]


def _waiting_on_pending_job(generation: Generation, cutoff: datetime) -> bool:
    """Whether ``generation`` waits on a provider job whose deadline is after ``cutoff``
    (see ``services.wait_for_job``); its poll tasks will finish or fail it."""
    pending = generation.provider_metadata.get("pending")
    if not isinstance(pending, dict):
        return False
    try:
        job_deadline = datetime.fromisoformat(pending["deadline"])
    except (KeyError, TypeError, ValueError):
        return False
    return job_deadline > cutoff


def _requeue(generation: Generation, put_back: Callable[[], bool]) -> bool:
    """Enqueue ``generation``'s task again once ``put_back()`` (one of its conditional
    transitions: ``requeue`` or ``requeue_lost``) applied; False, enqueuing nothing, if it
    did not (someone else finished or moved the generation meanwhile)."""
    from fluxweb.generations.tasks import generate_images

    with transaction.atomic():
        if not put_back():
            return False
        transaction.on_commit(lambda: generate_images.enqueue(generation.pk))
    return True


LOST_IN_QUEUE = (
    "This generation lost its place in the queue twice and was never started; fluxweb gave up. "
    "Nothing was charged. Try again."
)


def _reason(generation: Generation) -> str:
    if generation.provider_called_at is None:
        return (
            "The worker running this generation stopped twice before it reached "
            f"{generation.provider_label}; fluxweb gave up. Try again."
        )
    return (
        f"The worker running this generation stopped while {generation.provider_label} was "
        "working on it. It was not retried, because the provider may already have made "
        "(and charged for) the image."
    )
