"""The periodic sweep as a self-rescheduling task: each run enqueues the next one.

Every worker makes sure one is scheduled when it starts (the ``worker`` command), so the
chain survives restarts; a run that finds another sweep already waiting does not add a
second one, so concurrent chains die out.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .sweep import sweep_stuck_work


@task(priority=50)
def sweep() -> dict[str, object]:
    """Run :func:`sweep_stuck_work`, then schedule the next sweep; returns the report."""
    try:
        return sweep_stuck_work().as_dict()
    finally:
        schedule_sweep()


def schedule_sweep(delay: float | None = None) -> bool:
    """Enqueue a sweep to run in ``delay`` seconds (default ``FLUXWEB_SWEEP_INTERVAL``)
    unless one is already waiting. Returns whether one was enqueued."""
    if DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=sweep.module_path).exists():
        return False
    delay = settings.FLUXWEB_SWEEP_INTERVAL if delay is None else delay
    sweep.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()
    return True
