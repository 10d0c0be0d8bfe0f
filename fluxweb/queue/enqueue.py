"""Enqueueing tasks: the rule, and the worker wake-up that goes with it.

**The rule: a worker sees a task only once the transaction that asked for it has
committed**, and a rollback leaves no task. How each backend keeps it:

- **Database** (django-tasks-db): the task row is written in the caller's transaction (a
  transaction of its own outside one), so it commits or rolls back with the rows it is
  about; workers cannot see an uncommitted row. On PostgreSQL a ``NOTIFY`` in that same
  transaction wakes idle workers at its commit (:mod:`fluxweb.queue.notify`); otherwise
  they find the task at their next poll. A task row that cannot be written fails the
  caller's transaction like any other of its rows: nothing is kept, nothing is held.
- **Redis** (RQ): a job cannot join the database transaction, so it is sent when the
  transaction commits (``transaction.on_commit``; at once outside a transaction). The
  price: a crash (or an unreachable Redis) between the commit and the send leaves the
  committed work without a job. Such failures are logged, not raised (the request that
  committed the work still succeeds), and the stuck-work sweep
  (:mod:`fluxweb.generations.sweep`) enqueues a generation queued for too long again.

The database backend joined the transaction (instead of sending after the commit too) to
save the submit a transaction of its own: `bench/worker_profile.py` and `bench/api.py`
measured it (docs/speed.md, "The task row in the submit's transaction").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import Task

from . import notify

DATABASE = "database"
RQ = "rq"


def backend_kind() -> str:
    """``"database"`` or ``"rq"``: the configured ``FLUXWEB_TASK_BACKEND``."""
    return settings.FLUXWEB_TASK_BACKEND


def enqueue(task: Task, *args: Any, run_after: datetime | None = None) -> None:
    """Enqueue ``task(*args)`` so that a worker sees it when the current transaction
    commits (at once outside one); nothing is enqueued if it rolls back.

    ``run_after``: an aware datetime before which no worker runs it (None: as soon as a
    worker is free). Arguments must be JSON-serialisable. On the database backend a
    failed write raises the database's error inside the caller's transaction; on Redis a
    failed send is logged, and the caller's work is left for the sweep to find.
    """
    scheduled = task.using(run_after=run_after) if run_after is not None else task
    if backend_kind() == DATABASE:
        with transaction.atomic(savepoint=False):  # the caller's transaction, if any
            scheduled.enqueue(*args)
            if run_after is None and notify.available():
                notify.wake_workers()  # delivered when the task row commits
    else:
        transaction.on_commit(lambda: scheduled.enqueue(*args), robust=True)
