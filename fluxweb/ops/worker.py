"""The task worker: django-tasks-db's ``Worker``, running several tasks at once.

A generation spends nearly all its time waiting on the provider's HTTP answer, so one
process runs up to ``threads`` of them: the main thread claims tasks with
django-tasks-db's own claim (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an
exclusive transaction on SQLite) while a thread is free, and hands each to a pool
thread, which has its own database connection. When the queue is empty the claimer
waits ``interval`` seconds, or on PostgreSQL until a ``NOTIFY`` says a task is ready
(fluxweb/ops/notify.py), whichever comes first.

SIGTERM/SIGINT: stop claiming, let the running tasks finish, exit 0; a second signal
exits at once (status 1).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import notify

logger = logging.getLogger("django_tasks_db")


class ThreadedWorker(Worker):
    """``Worker`` with ``threads`` tasks in flight; same options otherwise."""

    def __init__(self, *, threads: int, **options) -> None:
        super().__init__(**options)
        self.threads = threads
        self._free = threading.Semaphore(threads)
        self._wake = threading.Event()
        self._claimed = 0

    def wake(self) -> None:
        """Look for a task now instead of at the end of the wait (thread-safe)."""
        self._wake.set()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning("Received %s again - exiting without waiting for tasks.", signal.strsignal(signum))
            self.reset_signals()
            os._exit(1)
        logger.warning("Received %s - finishing running tasks, then exiting (again to force).",
                       signal.strsignal(signum))
        self.running = False
        self.wake()

    def claim(self) -> tuple[bool, DBTaskResult | None]:
        """Claim the next ready task for this worker: (query succeeded, task or None)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return True, task_result
            except OperationalError as e:
                if is_locked_database_exception(e):  # SQLite busy: try again later
                    return False, None
                raise

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s threads=%d",
                    self.worker_id, ",".join(self.queue_names), self.threads)
        listener = None
        if notify.available():
            listener = notify.Listener([notify.TASKS], self.wake, on_connect=self.wake)
            listener.start()
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 (spread out workers started together)
        try:
            with ThreadPoolExecutor(self.threads, thread_name_prefix="task") as pool:
                self._claim_loop(pool)
            # Leaving the with-block waited for the running tasks.
        finally:
            if listener:
                listener.stop()

    def _claim_loop(self, pool: ThreadPoolExecutor) -> None:
        while self.running:
            if not self._free.acquire(timeout=self.interval or 1.0):
                continue  # every thread busy
            if not self.running:  # told to stop while waiting for a free thread
                self._free.release()
                return
            self._wake.clear()  # before the query: a NOTIFY after it still wakes us
            close_old_connections()
            try:
                retrieved, task_result = self.claim()
            except BaseException:
                self._free.release()
                raise
            if task_result is None:
                self._free.release()
                if self.batch and retrieved:
                    logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                    return
                self._wake.wait(self.interval)
                continue
            self._claimed += 1
            pool.submit(self._run, task_result)
            if self.max_tasks is not None and self._claimed >= self.max_tasks:
                logger.info("Claimed maximum tasks (%d) on worker=%s - exiting gracefully.",
                            self._claimed, self.worker_id)
                return

    def _run(self, task_result: DBTaskResult) -> None:
        try:
            close_old_connections()
            self.run_task(task_result)
        finally:
            self._free.release()
