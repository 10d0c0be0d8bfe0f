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

    def work(self, *args: Any, **kwargs: Any) -> bool:
        heartbeat = Heartbeat(new_worker_id())
        heartbeat.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            heartbeat.stop()
