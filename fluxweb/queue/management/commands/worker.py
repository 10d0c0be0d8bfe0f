"""``manage.py worker``: the Procfile's task worker, for the configured backend.

``FLUXWEB_TASK_BACKEND=database``: django-tasks-db's ``db_worker`` options plus
``--threads N`` (default ``FLUXWEB_WORKER_THREADS``): up to N tasks run at once in one
process (fluxweb/queue/dbworker.py), and on PostgreSQL a NOTIFY wakes it the moment a task
is queued, ``--interval`` being the fallback poll.

``FLUXWEB_TASK_BACKEND=rq``: django-rq's worker pool with ``--threads`` worker processes
(RQ runs one job per process), each with django-tasks-rq's job class and RQ's scheduler
(for tasks with ``run_after``). ``--batch`` becomes RQ's burst mode; the database-only
options are ignored.

Either way, before running tasks it sends :data:`fluxweb.queue.signals.worker_starting`
(the stuck-work sweep hooks on it). SIGTERM/SIGINT let the running tasks finish, then exit.
"""

from __future__ import annotations

import os
import threading
from argparse import SUPPRESS, ArgumentParser, ArgumentTypeError, BooleanOptionalAction
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from fluxweb.queue.connections import keep_connections
from fluxweb.queue.dbworker import ThreadedWorker
from fluxweb.queue.enqueue import RQ, backend_kind
from fluxweb.queue.heartbeat import new_worker_id
from fluxweb.queue.signals import worker_starting


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ArgumentTypeError("must be at least 1")
    return number


class Command(DbWorkerCommand):
    help = "Run the task worker for FLUXWEB_TASK_BACKEND (N threads or N RQ processes)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        if backend_kind() == RQ:
            # RQ's pool uses these; db_worker's other options are accepted and ignored (its
            # own --backend check refuses anything but a database backend).
            parser.add_argument("--queue-name", default="default", help="queues, comma-separated")
            parser.add_argument("--exclude-queues", default="", help=SUPPRESS)
            parser.add_argument(
                "--batch", action="store_true", help="run what is queued, then exit"
            )
            parser.add_argument(
                "--reload", action=BooleanOptionalAction, default=False, help=SUPPRESS
            )
            parser.add_argument(
                "--no-startup-delay", action="store_false", dest="startup_delay", help=SUPPRESS
            )
            for option in ("--interval", "--backend", "--max-tasks", "--worker-id"):
                parser.add_argument(option, help=SUPPRESS)
        else:
            super().add_arguments(parser)
            parser.set_defaults(worker_id=None)  # new_worker_id() then, not db_worker's random
        parser.add_argument(
            "--threads",
            type=positive_int,
            default=settings.FLUXWEB_WORKER_THREADS,
            help="tasks run at once (threads, or RQ processes; default: FLUXWEB_WORKER_THREADS, "
            "%(default)s)",
        )

    # db_worker types handle() with exactly its own options, so no subclass can add one
    # (--threads) and still match it.
    def handle(  # type: ignore[override]
        self,
        *args: Any,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        reload: bool,
        batch: bool,
        threads: int,
        **options: Any,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        stop = threading.Event()
        try:
            if backend_kind() == RQ:
                if "*" in queue_names:
                    queue_names = list(settings.RQ_QUEUES)
                worker_starting.send(self.__class__, stop=stop)
                call_command(
                    "rqworker-pool",
                    *queue_names,
                    num_workers=threads,
                    burst=batch,
                    job_class="django_tasks_rq.Job",
                    verbosity=verbosity,
                    worker_class="fluxweb.queue.rqworker.HeartbeatWorker",
                )
                return
            keep_connections()
            worker = ThreadedWorker(
                threads=threads,
                queue_names=queue_names,
                excluded_queue_names=excluded,
                batch=batch,
                interval=options["interval"],
                backend_name=options["backend_name"],
                startup_delay=options["startup_delay"],
                max_tasks=options["max_tasks"],
                worker_id=options["worker_id"] or new_worker_id(),
            )
            if reload and not batch:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()
                    worker_starting.send(self.__class__, stop=stop)
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker_starting.send(self.__class__, stop=stop)
                worker.run()
        finally:
            stop.set()
