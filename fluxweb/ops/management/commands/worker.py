"""``manage.py worker``: the Procfile's task worker.

``db_worker``'s options plus ``--threads N`` (default ``FLUXWEB_WORKER_THREADS``): up to N
tasks run at once in one process (fluxweb/ops/worker.py), and on PostgreSQL a NOTIFY wakes
it the moment a task is queued, ``--interval`` being the fallback poll. It also keeps the
stuck-work sweep scheduled: on start it makes sure a sweep is in the queue, and each sweep
schedules the next. SIGTERM/SIGINT let the running tasks finish, then exit.
"""

from __future__ import annotations

import os
from argparse import ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from fluxweb.ops.tasks import schedule_sweep
from fluxweb.ops.worker import ThreadedWorker


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ArgumentTypeError("must be at least 1")
    return number


def keep_connections() -> None:
    """Reuse each thread's database connection between tasks (a long-lived process: no
    reconnect per poll); broken ones are still replaced. Not with the psycopg pool,
    which already reuses connections."""
    for alias in connections:
        conf = connections.settings[alias]
        if not conf.get("OPTIONS", {}).get("pool"):
            conf["CONN_MAX_AGE"] = None
            conf["CONN_HEALTH_CHECKS"] = True


class Command(DbWorkerCommand):
    help = "Run the task worker (db_worker with N threads) and keep the stuck-work sweep scheduled."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--threads", type=positive_int, default=settings.FLUXWEB_WORKER_THREADS,
            help="tasks run at once in this process (default: FLUXWEB_WORKER_THREADS, %(default)s)",
        )

    def handle(self, *args: Any, verbosity: int, queue_name: str, exclude_queues: str, reload: bool,
               batch: bool, threads: int, **options: Any) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        keep_connections()
        schedule_sweep(delay=0)
        worker = ThreadedWorker(
            threads=threads, queue_names=queue_names, excluded_queue_names=excluded, batch=batch,
            interval=options["interval"], backend_name=options["backend_name"],
            startup_delay=options["startup_delay"], max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
