"""``manage.py sweep``: run the stuck-work sweep once, now (workers also run it periodically)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fluxweb.generations.sweep import sweep_stuck_work


class Command(BaseCommand):
    help = (
        "Finish generations left running by a dead worker, or queued without a task: "
        "re-queue once if the provider was not called yet, otherwise fail with a reason "
        "(returning the budget)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stuck-after",
            type=float,
            default=None,
            help="seconds running or queued before work counts as stuck "
            "(default: FLUXWEB_STUCK_AFTER)",
        )

    def handle(self, *args: Any, stuck_after: float | None, **options: Any) -> None:
        report = sweep_stuck_work(stuck_after)
        self.stdout.write(json.dumps(report.as_dict()))
