"""``manage.py worker``: the Procfile's task worker.

``db_worker`` (same options) plus the stuck-work sweep: on start it makes sure a sweep is
scheduled in the queue, and each sweep schedules the next. SIGTERM/SIGINT let the current
task finish, then exit (db_worker's own handling).
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from fluxweb.ops.tasks import schedule_sweep


class Command(DbWorkerCommand):
    help = "Run the task worker (db_worker) and keep the stuck-work sweep scheduled."

    def handle(self, *args: Any, **options: Any) -> None:
        schedule_sweep(delay=0)
        super().handle(*args, **options)
