"""Seeing what was enqueued, through django.tasks' public ``task_enqueued`` signal (the
same on every task backend)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.tasks.signals import task_enqueued


@contextmanager
def enqueued() -> Iterator[list[tuple[str, list[Any]]]]:
    """A list that fills with ``(task name, args)`` for each task enqueued inside the block."""
    calls: list[tuple[str, list[Any]]] = []

    def record(sender: object, task_result: Any, **kwargs: Any) -> None:
        calls.append((task_result.task.name, list(task_result.args)))

    task_enqueued.connect(record, weak=False)
    try:
        yield calls
    finally:
        task_enqueued.disconnect(record)
