"""Worker heartbeats: each process that runs tasks says it is alive every few seconds.

A process that runs tasks starts one :class:`Heartbeat` (the database worker in
:class:`fluxweb.queue.dbworker.ThreadedWorker`, each RQ worker process in
:class:`fluxweb.queue.rqworker.HeartbeatWorker`); :func:`current_worker_id` then names
that process, and work it claims is stamped with it (``Generation.worker_id``). A row not
beaten for ``FLUXWEB_WORKER_DEAD_AFTER`` seconds, or missing, means the process is gone:
:func:`live_worker_ids` is what the stuck-work sweep asks.

The beat runs on a database connection of its own thread, kept open between beats, so a
server that refuses new connections ("too many clients") does not silence a live worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Now
from django.utils.crypto import get_random_string

from .connections import pooled
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

_current: str = ""


def current_worker_id() -> str:
    """The worker id of this process's running :class:`Heartbeat` ("" outside a worker).
    A process forked from a worker (an RQ work horse) inherits its parent's id."""
    return _current


def new_worker_id() -> str:
    """A fresh worker id: host name, process id and a random part (at most 64 characters),
    so that an admin reading a log line or a heartbeat row knows where the worker ran. The
    random part is lower case: the logs' secret filter takes long mixed-case runs for tokens
    (django-tasks-db's own default, 32 random mixed-case characters, showed as
    ``[redacted]``)."""
    random_part = get_random_string(12, allowed_chars="abcdefghijklmnopqrstuvwxyz0123456789")
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{random_part}"[:64]


def live_worker_ids() -> QuerySet[WorkerHeartbeat, str]:
    """Ids of workers that beat within the last ``FLUXWEB_WORKER_DEAD_AFTER`` seconds (a
    subquery for ``worker_id__in``)."""
    return WorkerHeartbeat.objects.filter(beat_at__gte=dead_cutoff()).values_list(
        "worker_id", flat=True
    )


def dead_cutoff() -> CombinedExpression:
    """``FLUXWEB_WORKER_DEAD_AFTER`` seconds ago, on the database clock (which wrote
    ``beat_at``), so workers on machines with skewed clocks are judged alike."""
    return Now() - Value(timedelta(seconds=settings.FLUXWEB_WORKER_DEAD_AFTER))


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` is alive now (database clock). Raises
    :class:`~django.db.DatabaseError` when the database cannot be reached."""
    if not WorkerHeartbeat.objects.filter(pk=worker_id).update(beat_at=Now()):
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"beat_at": Now()},
            create_defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid()},
        )


class Heartbeat(threading.Thread):
    """Beats for ``worker_id`` every ``interval`` seconds (default
    ``FLUXWEB_HEARTBEAT_INTERVAL``) from a daemon thread, from :meth:`start` until
    :meth:`stop`, which deletes the row (this worker left on purpose). A failed beat is
    logged and tried again at the next one, on a fresh connection."""

    def __init__(self, worker_id: str, interval: float | None = None) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = settings.FLUXWEB_HEARTBEAT_INTERVAL if interval is None else interval
        self._stop_event = threading.Event()
        self._failing = False
        # Held for each beat: an RQ worker forks its work horses outside it (rqworker.py).
        self.beating = threading.Lock()

    def start(self) -> None:
        global _current
        _current = self.worker_id
        super().start()

    def run(self) -> None:
        try:
            while True:
                self._beat()
                if self._stop_event.wait(self.interval):
                    break
            try:
                WorkerHeartbeat.objects.filter(pk=self.worker_id).delete()
            except DatabaseError:
                logger.warning("worker=%s: could not remove its heartbeat on exit", self.worker_id)
        finally:
            connection.close()

    def _beat(self) -> None:
        with self.beating:
            self._beat_once()

    def _beat_once(self) -> None:
        try:
            beat(self.worker_id)
        except DatabaseError as exc:
            logger.warning(
                "worker=%s: heartbeat failed, database unreachable: %s", self.worker_id, exc
            )
            self._failing = True
            connection.close()  # the next beat starts from a fresh connection
        else:
            if self._failing:
                logger.warning("worker=%s: heartbeat is back", self.worker_id)
                self._failing = False
            # Back to the pool between beats; an SQLite file is not left open when an RQ
            # worker forks (SQLite forbids using its state across a fork). Otherwise kept
            # open, so a full server does not silence a live worker.
            if connection.vendor == "sqlite" or pooled():
                connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop beating and remove this worker's row (waits up to ``timeout`` seconds)."""
        global _current
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)
        if _current == self.worker_id:
            _current = ""
