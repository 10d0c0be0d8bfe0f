"""What the queue seam stores itself: each running worker process's heartbeat."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class WorkerHeartbeat(models.Model):
    """A worker process that runs tasks, and when it last said it was alive (database clock).

    Written by :mod:`fluxweb.queue.heartbeat` every ``FLUXWEB_HEARTBEAT_INTERVAL`` seconds
    while the process lives, deleted when it stops cleanly. A row whose ``beat_at`` is older
    than ``FLUXWEB_WORKER_DEAD_AFTER`` seconds belongs to a process that died (SIGKILL, out
    of memory, a lost machine). Same on every task backend: one row per ``manage.py worker``
    process (database backend) or per RQ worker process.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(db_default=Now(), editable=False)
    beat_at = models.DateTimeField(db_default=Now(), db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.hostname}:{self.pid})"
