"""The RQ backend's worker process, with a heartbeat (``manage.py worker`` passes it to
django-rq's ``rqworker-pool``).

RQ runs each job in a work horse forked from the worker process; the horse inherits the
process's :func:`fluxweb.queue.heartbeat.current_worker_id`, so what a job claims is
stamped with the id of the worker process that beats for it.
"""

from __future__ import annotations

from typing import Any

from rq.worker import Worker

from .heartbeat import Heartbeat, new_worker_id


class HeartbeatWorker(Worker):
    """RQ's ``Worker`` that beats (:class:`~fluxweb.queue.heartbeat.Heartbeat`) while it works."""

    beats: Heartbeat | None = None  # (RQ's own heartbeat() is its Redis key)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        self.beats = Heartbeat(new_worker_id())
        self.beats.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            self.beats.stop()

    def fork_work_horse(self, job: Any, queue: Any) -> None:
        """Fork the horse between two beats, never during one: a fork copies SQLite's
        in-process lock state, and a horse forked while the first beat's transaction was
        open found the database locked for good (its task failed after the 20 s timeout)."""
        if self.beats is None:
            super().fork_work_horse(job, queue)
            return
        with self.beats.beating:
            super().fork_work_horse(job, queue)
