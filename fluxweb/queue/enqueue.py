"""Enqueueing tasks: the one rule, and the worker wake-up that goes with it.

**The rule: a task is enqueued when the surrounding transaction commits**
(``transaction.on_commit``; at once outside a transaction). It is the only rule correct on
both backends: a Redis job cannot join the database transaction, so enqueuing inside it
would let a worker pick the task up before the rows it reads are committed (or after they
were rolled back). A rollback therefore enqueues nothing.

The price: a crash (or an unreachable Redis) between the commit and the enqueue leaves the
committed work without a task. Enqueue failures are logged, not raised (the request that
committed the work still succeeds), and the stuck-work sweep
(:mod:`fluxweb.generations.sweep`) enqueues a generation queued for too long again.

On PostgreSQL with the database backend a ``NOTIFY`` in the task row's own transaction
wakes idle workers at once (:mod:`fluxweb.queue.notify`); otherwise workers find the task at
their next poll (database) or are handed it by Redis (RQ).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import Task

from . import notify

logger = logging.getLogger(__name__)

DATABASE = "database"
RQ = "rq"


def backend_kind() -> str:
    """``"database"`` or ``"rq"``: the configured ``FLUXWEB_TASK_BACKEND``."""
    return settings.FLUXWEB_TASK_BACKEND


def enqueue(task: Task, *args: Any, run_after: datetime | None = None) -> None:
    """Enqueue ``task(*args)`` once the current transaction commits (at once outside one).

    ``run_after``: an aware datetime before which no worker runs it (None: as soon as a
    worker is free). Arguments must be JSON-serialisable. Never raises for a failed
    enqueue: it is logged, and the caller's work is left for the sweep to find.
    """
    transaction.on_commit(lambda: _send(task, args, run_after), robust=True)


def _send(task: Task, args: tuple[Any, ...], run_after: datetime | None) -> None:
    scheduled = task.using(run_after=run_after) if run_after is not None else task
    if backend_kind() == DATABASE and notify.available():
        with transaction.atomic():  # the wake-up is sent when the task row commits
            scheduled.enqueue(*args)
            if run_after is None:
                notify.wake_workers()
    else:
        scheduled.enqueue(*args)
