"""Finding work a dead worker or a lost task left behind, and finishing it.

Only fluxweb's own generation fields are read (status, ``started_at``, ``updated_at``,
``provider_called_at``, ``requeues``), never the task backend's storage, so the sweep works
the same on every backend.

A worker killed mid-task (SIGKILL, out of memory, a lost machine) leaves its generation
``running`` forever. :func:`sweep_stuck_work` notices once it has been running for longer
than ``FLUXWEB_STUCK_AFTER`` seconds, which is longer than a live worker can take (every
provider attempt timing out plus the waits between them). One whose provider call had not
started yet is put back in the queue, once; one whose call may have happened is failed
through ``fail_generation`` (which returns its budget), since retrying could make, and
charge for, the image twice.

A generation still ``queued`` ``FLUXWEB_STUCK_AFTER`` seconds after it was queued (or last
requeued) may have lost its task: with Redis, the process crashed between the submit's
commit and the send (:mod:`fluxweb.queue.enqueue`) or Redis lost the job; on either backend,
a row was restored without its task. It is enqueued again, once; running the task twice is
harmless, since only one run claims the queued generation (``mark_running`` is a conditional
transition). Still queued after another ``FLUXWEB_STUCK_AFTER`` seconds, it is failed with
its budget returned.

Faster: every worker process beats (:mod:`fluxweb.queue.heartbeat`) and stamps the
generations it claims with its id (``worker_id``). A generation running on a worker that
has not beaten for ``FLUXWEB_WORKER_DEAD_AFTER`` seconds is recovered the same way at the
next sweep, long before ``FLUXWEB_STUCK_AFTER``; the longer rule stays for generations
claimed without an id (older rows, processes without a heartbeat).

A generation waiting on a provider's pending job (ImagePipeline) legitimately stays
``running`` until the job's own deadline (``FLUXWEB_PENDING_TIMEOUT``), polled by follow-up
tasks; the sweep leaves it alone until that deadline plus ``FLUXWEB_STUCK_AFTER``.

Every worker process runs the sweep every ``FLUXWEB_SWEEP_INTERVAL`` seconds
(:func:`start_periodic_sweep`); ``manage.py sweep`` runs it once. Any number may run at
once: every change is a conditional update.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from fluxweb.budgets import services as budgets
from fluxweb.budgets.models import Hold
from fluxweb.queue.enqueue import enqueue
from fluxweb.queue.heartbeat import dead_cutoff, live_worker_ids

from .models import Generation
from .running import fail_generation
from .tasks import generate_images

logger = logging.getLogger(__name__)

# A generation is put back in the queue at most this many times.
MAX_REQUEUES = 1


@dataclass
class SweepReport:
    """What one sweep did: generation ids re-queued and failed, and the ids of holds
    charged because their generation was deleted while its provider worked."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    charged_holds: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "requeued": self.requeued,
            "failed": self.failed,
            "charged_holds": self.charged_holds,
        }


def sweep_stuck_work(stuck_after: float | None = None) -> SweepReport:
    """Finish every generation running, or queued, for more than ``stuck_after`` seconds
    (default ``FLUXWEB_STUCK_AFTER``): requeue it once if its provider was never called,
    otherwise fail it with a reason (returning its budget). A hold still held whose
    generation was deleted while running, and older than that, is charged its estimate:
    the provider's answer, which would have charged what it reported, never came."""
    stuck_after = settings.FLUXWEB_STUCK_AFTER if stuck_after is None else stuck_after
    deadline = timezone.now() - timedelta(seconds=stuck_after)
    report = SweepReport()
    for generation in orphaned_by_dead_workers():
        _recover_running(generation, report)
    stuck = Generation.objects.filter(status=Generation.Status.RUNNING, started_at__lt=deadline)
    for generation in stuck.order_by("started_at"):
        if _waiting_on_pending_job(generation, deadline):
            continue
        _recover_running(generation, report)
    for generation in waiting_too_long(deadline):
        if generation.requeues < MAX_REQUEUES:
            if _requeue(generation, generation.requeue_lost):
                report.requeued.append(generation.pk)
        elif fail_generation(generation, LOST_IN_QUEUE):
            report.failed.append(generation.pk)
    for hold in abandoned_holds(deadline):
        if budgets.settle(hold, None):
            report.charged_holds.append(hold.pk)
    if report.requeued or report.failed or report.charged_holds:
        logger.warning(
            "sweep: requeued=%s failed=%s charged_holds=%s",
            report.requeued,
            report.failed,
            report.charged_holds,
            extra={"event": "sweep", **report.as_dict()},
        )
    return report


def abandoned_holds(created_before: datetime) -> list[Hold]:
    """Holds still held that no generation points at, made before ``created_before`` (an
    aware datetime): a generation and its hold are written in one transaction, so these
    belonged to generations deleted while their provider worked
    (:func:`~.services.delete_generation`)."""
    held = Hold.objects.filter(state=Hold.State.HELD, created_at__lt=created_before)
    return list(held.filter(generation__isnull=True).order_by("created_at"))


def orphaned_by_dead_workers() -> list[Generation]:
    """Generations running for more than ``FLUXWEB_WORKER_DEAD_AFTER`` seconds on a worker
    whose heartbeat is older than that, or gone (:mod:`fluxweb.queue.heartbeat`), oldest
    first; those waiting on a provider's pending job within its deadline are left out
    (follow-up poll tasks, on any worker, finish them)."""
    now = timezone.now()
    running = (
        Generation.objects.filter(status=Generation.Status.RUNNING, started_at__lt=dead_cutoff())
        .exclude(worker_id="")
        .exclude(worker_id__in=live_worker_ids())
    )
    return [g for g in running.order_by("started_at") if not _waiting_on_pending_job(g, now)]


def _recover_running(generation: Generation, report: SweepReport) -> None:
    """Requeue a running generation whose worker is gone, once, if its provider was never
    called; otherwise fail it (its budget is returned)."""
    if generation.provider_called_at is None and generation.requeues < MAX_REQUEUES:
        if _requeue(generation, generation.requeue):
            report.requeued.append(generation.pk)
    elif fail_generation(generation, _reason(generation)):
        report.failed.append(generation.pk)


def waiting_too_long(queued_before: datetime) -> list[Generation]:
    """Generations still queued whose last change (queued, or requeued) was before
    ``queued_before`` (an aware datetime), oldest first."""
    queued = Generation.objects.filter(
        status=Generation.Status.QUEUED, updated_at__lt=queued_before
    )
    return list(queued.order_by("updated_at"))


def _waiting_on_pending_job(generation: Generation, cutoff: datetime) -> bool:
    """Whether ``generation`` waits on a provider job whose deadline is after ``cutoff``
    (see ``running.wait_for_job``); its poll tasks will finish or fail it."""
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
    with transaction.atomic():
        if not put_back():
            return False
        enqueue(generate_images, generation.pk)
    return True


LOST_IN_QUEUE = (
    "This generation waited in the queue far too long, twice, and was never started; "
    "fluxweb gave up. Nothing was charged. Try again."
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


def start_periodic_sweep(
    stop: threading.Event, interval: float | None = None, **kwargs: Any
) -> threading.Thread:
    """Run :func:`sweep_stuck_work` every ``interval`` seconds (default
    ``FLUXWEB_SWEEP_INTERVAL``; the first after a random part of it, so workers started
    together spread out) in a daemon thread, until ``stop`` is set. Errors are logged and
    the next sweep runs as planned. Connected to the worker's ``worker_starting`` signal."""
    interval = settings.FLUXWEB_SWEEP_INTERVAL if interval is None else interval

    def loop() -> None:
        wait = random.random() * interval  # noqa: S311 (spreading, not security)
        while not stop.wait(wait):
            try:
                close_old_connections()
                sweep_stuck_work()
            except Exception:
                logger.exception("the stuck-work sweep failed")
                connection.close()  # the next sweep starts from a fresh connection
            else:
                close_old_connections()  # a pooled connection goes back to the pool
            wait = interval

    thread = threading.Thread(target=loop, name="sweep", daemon=True)
    thread.start()
    return thread
