"""The database backend's worker: django-tasks-db's ``Worker``, running several tasks at once.

A generation spends nearly all its time waiting on the provider's HTTP answer, so one
process runs up to ``threads`` of them: the main thread claims tasks as django-tasks-db
does (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an exclusive transaction on
SQLite) while a thread is free, and hands each to a pool thread, which has its own
database connection. When the queue is empty the claimer
waits ``interval`` seconds, or on PostgreSQL until a ``NOTIFY`` says a task is ready
(fluxweb/queue/notify.py), whichever comes first.

The claimer claims as many ready tasks as it has free threads (up to
:data:`CLAIM_BATCH`) in one transaction. Finding fewer than it asked for tells it the queue
is empty for now, so it waits for the next ``NOTIFY`` without asking again: one claim per
task in the usual case, a burst of tasks in a few transactions, and no claim that finds
nothing after each wake-up or each finished task.

The process beats (:mod:`fluxweb.queue.heartbeat`) under its ``worker_id`` while it runs.

When the database cannot be reached (down, restarting, "too many clients"), nothing is
dropped: a failed claim is logged and tried again after a back-off (doubling from
``FLUXWEB_WORKER_DB_BACKOFF`` up to ``FLUXWEB_WORKER_DB_BACKOFF_MAX`` seconds); a task that
failed because its thread could not reach the database (or could not record its outcome) is
put back in the queue (``READY``) once the database answers again, up to
:data:`MAX_ATTEMPTS` runs. What is still left (the process stopped meanwhile) is the
stuck-work sweep's.

SIGTERM/SIGINT: stop claiming, let the running tasks finish, exit 0; a second signal
exits at once (status 1).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import InterfaceError, OperationalError
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import notify
from .connections import release_connection
from .heartbeat import Heartbeat

logger = logging.getLogger("django_tasks_db")

# Errors that mean "the database could not be reached", not "the task is wrong".
UNREACHABLE = (OperationalError, InterfaceError)
UNREACHABLE_PATHS = frozenset(f"{error.__module__}.{error.__qualname__}" for error in UNREACHABLE)
# A task is run at most this many times (claims) before a database error is left recorded.
MAX_ATTEMPTS = 10
# Most tasks one claim transaction takes: the first of a large burst start without waiting
# for the claims of all the others.
CLAIM_BATCH = 32


class Backoff:
    """Seconds to wait after a database error, shared by a worker's threads: doubles from
    ``initial`` up to ``maximum`` while errors go on, back to nothing after a success."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self.delay = 0.0
        self._lock = threading.Lock()

    def failed(self) -> float:
        """Count a failure; returns the seconds to wait before the next try."""
        with self._lock:
            self.delay = min(self.maximum, self.delay * 2 if self.delay else self.initial)
            return self.delay

    def succeeded(self) -> None:
        with self._lock:
            self.delay = 0.0


def drop_connection() -> None:
    """Close this thread's database connection (a broken one raises nothing here), so the
    next query starts from a fresh one."""
    with contextlib.suppress(*UNREACHABLE):
        connection.close()


class ThreadedWorker(Worker):
    """``Worker`` with ``threads`` tasks in flight; same options otherwise."""

    def __init__(self, *, threads: int, **options) -> None:
        super().__init__(**options)
        self.threads = threads
        self._free = threading.Semaphore(threads)
        self._wake = threading.Event()
        self._claimed = 0
        self._count_lock = threading.Lock()
        self.backoff = Backoff(
            settings.FLUXWEB_WORKER_DB_BACKOFF, settings.FLUXWEB_WORKER_DB_BACKOFF_MAX
        )

    def wake(self) -> None:
        """Look for a task now instead of at the end of the wait (thread-safe)."""
        self._wake.set()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning(
                "Received %s again - exiting without waiting for tasks.", signal.strsignal(signum)
            )
            self.reset_signals()
            os._exit(1)
        logger.warning(
            "Received %s - finishing running tasks, then exiting (again to force).",
            signal.strsignal(signum),
        )
        self.running = False
        self.wake()

    def claim(self, limit: int = 1) -> tuple[bool, list[DBTaskResult]]:
        """Claim up to ``limit`` ready tasks for this worker, in django-tasks-db's order
        (priority, then due time, then age), in one transaction: (query succeeded, tasks).
        Raises what the database raises, except SQLite's "database is locked" (False, [])."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                # django-tasks-db's get_locked(), for several rows: SKIP LOCKED, so
                # workers claiming at once never wait on each other.
                claimed = list(tasks.select_for_update(skip_locked=True)[:limit])
                for task_result in claimed:
                    task_result.claim(self.worker_id)
                return True, claimed
            except OperationalError as e:
                if is_locked_database_exception(e):  # SQLite busy: try again later
                    return False, []
                raise

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s threads=%d",
            self.worker_id,
            ",".join(self.queue_names),
            self.threads,
        )
        heartbeat = Heartbeat(self.worker_id)
        heartbeat.start()
        listener = None
        if notify.available():
            listener = notify.Listener(
                [notify.TASKS], lambda _payload: self.wake(), on_connect=self.wake
            )
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
            heartbeat.stop()

    def _claim_loop(self, pool: ThreadPoolExecutor) -> None:
        while self._may_claim():
            if not self._free.acquire(timeout=self.interval or 1.0):
                continue  # every thread busy
            slots = 1
            while slots < CLAIM_BATCH and self._free.acquire(blocking=False):
                slots += 1
            self._wake.clear()  # before the query: a NOTIFY after it still wakes us
            wanted = self._reserve_claims(slots)  # fewer when told to stop or near max_tasks
            if wanted < slots:
                self._free.release(slots - wanted)
            if not wanted:
                return
            try:
                close_old_connections()
                retrieved, claimed = self.claim(wanted)
            except UNREACHABLE as exc:
                self._give_back_slots(wanted)
                self._wait_for_database("claiming a task", exc)
                continue
            except BaseException:
                self._give_back_slots(wanted)
                raise
            with contextlib.suppress(*UNREACHABLE):  # a broken one is replaced at the next claim
                release_connection()  # the claimer holds no pooled connection between claims
            if len(claimed) < wanted:
                self._give_back_slots(wanted - len(claimed))
            for task_result in claimed:
                pool.submit(self._run, task_result)
            if claimed and len(claimed) == wanted:
                continue  # there may be more
            if self.batch and retrieved:
                if not claimed:
                    logger.info(
                        "No more tasks to run for worker_id=%s - exiting gracefully.",
                        self.worker_id,
                    )
                    return
                continue  # the next claim finds nothing and ends the batch
            self._wake.wait(self.interval)  # the queue is empty for now

    def _may_claim(self) -> bool:
        with self._count_lock:
            return self.running and (self.max_tasks is None or self._claimed < self.max_tasks)

    def _reserve_claims(self, count: int) -> int:
        """Count up to ``count`` claims about to be made; returns how many may be made
        (0 when the worker is stopping, fewer near ``max_tasks``)."""
        with self._count_lock:
            if not self.running:
                return 0
            if self.max_tasks is not None:
                count = min(count, self.max_tasks - self._claimed)
            if count <= 0:
                return 0
            self._claimed += count
            if self._claimed == self.max_tasks:
                logger.info(
                    "Claimed maximum tasks (%d) on worker=%s - exiting gracefully.",
                    self.max_tasks,
                    self.worker_id,
                )
            return count

    def _give_back_slots(self, count: int) -> None:
        """``count`` reserved claims found nothing (or failed): uncount them and free
        their threads."""
        with self._count_lock:
            self._claimed -= count
        self._free.release(count)

    def _run(self, task_result: DBTaskResult) -> None:
        """Run ``task_result`` on a pool thread, then give its slot back to the claimer."""
        try:
            self._run_once(task_result)
        finally:
            with contextlib.suppress(*UNREACHABLE):
                release_connection()  # an idle thread holds no pooled connection
            self._free.release()
            if not self._may_claim():
                self.wake()  # max_tasks reached: the claimer stops waiting and returns

    def _run_once(self, task_result: DBTaskResult) -> None:
        """Run one claimed task; one that failed for want of the database goes back in the
        queue (:meth:`_give_back`)."""
        try:
            close_old_connections()
            self.run_task(task_result)
        except UNREACHABLE as exc:  # not even the failure could be recorded
            self._give_back(task_result, exc)
            return
        except Exception:  # recording the outcome failed otherwise: say so, carry on
            logger.exception(
                "worker=%s: task %s could not be recorded", self.worker_id, task_result.id
            )
            return
        if task_result.status == TaskResultStatus.FAILED and (
            task_result.exception_class_path in UNREACHABLE_PATHS
        ):
            self._give_back(task_result, None)
        else:
            self.backoff.succeeded()

    def _give_back(self, task_result: DBTaskResult, error: BaseException | None) -> None:
        """Put ``task_result`` back in the queue (``READY``) once the database answers,
        backing off between tries; it ran :data:`MAX_ATTEMPTS` times already, or the worker
        is stopping and the database is still away: leave it, logged (the sweep finds the
        work)."""
        attempts = len(task_result.worker_ids)
        reason = error or task_result.exception_class_path
        if attempts >= MAX_ATTEMPTS:
            logger.error(
                "worker=%s: task %s could not reach the database %d times; not retried",
                self.worker_id,
                task_result.id,
                attempts,
            )
            return
        while True:
            self._wait_for_database(f"running task {task_result.id}", reason)
            try:
                DBTaskResult.objects.filter(
                    pk=task_result.pk,
                    status__in=[
                        TaskResultStatus.RUNNING,
                        TaskResultStatus.FAILED,
                    ],
                ).update(
                    status=TaskResultStatus.READY,
                    finished_at=None,
                    exception_class_path="",
                    traceback="",
                )
            except UNREACHABLE as exc:
                reason = exc
                if not self.running:
                    logger.error(
                        "worker=%s: stopping with task %s still claimed; the sweep will "
                        "requeue its work",
                        self.worker_id,
                        task_result.id,
                    )
                    return
                continue
            logger.warning(
                "worker=%s: task %s is back in the queue", self.worker_id, task_result.id
            )
            self.backoff.succeeded()
            self.wake()
            return

    def _wait_for_database(self, doing: str, error: object) -> None:
        """Log that ``doing`` failed because the database could not be reached, drop this
        thread's connection, and wait the back-off (less when the worker is told to stop)."""
        delay = self.backoff.failed()
        logger.warning(
            "worker=%s: %s failed, the database cannot be reached (%s); trying again in %.1f s",
            self.worker_id,
            doing,
            error,
            delay,
        )
        drop_connection()
        self._sleep(delay)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.running and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))
