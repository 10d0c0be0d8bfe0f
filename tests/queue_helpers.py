"""Seeing what was enqueued, through django.tasks' public ``task_enqueued`` signal (the
same on every task backend; django-tasks-rq sends the django-tasks backport's signal of the
same name, so both are heard)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.tasks.signals import task_enqueued

try:
    from django_tasks.signals import task_enqueued as backport_task_enqueued
except ImportError:  # only django-tasks-rq needs the backport
    backport_task_enqueued = task_enqueued


@contextmanager
def _listening(record: Callable[..., None]) -> Iterator[None]:
    """``record(sender, task_result, **kwargs)`` hears every task enqueued inside the block."""
    signals = {task_enqueued, backport_task_enqueued}
    for signal in signals:
        signal.connect(record, weak=False)
    try:
        yield
    finally:
        for signal in signals:
            signal.disconnect(record)


@contextmanager
def enqueued() -> Iterator[list[tuple[str, list[Any]]]]:
    """A list that fills with ``(task name, args)`` for each task enqueued inside the block."""
    calls: list[tuple[str, list[Any]]] = []

    def record(sender: object, task_result: Any, **kwargs: Any) -> None:
        calls.append((task_result.task.name, list(task_result.args)))

    with _listening(record):
        yield calls


@contextmanager
def enqueued_results() -> Iterator[list[Any]]:
    """A list that fills with the ``TaskResult`` of each task enqueued inside the block."""
    results: list[Any] = []

    def record(sender: object, task_result: Any, **kwargs: Any) -> None:
        results.append(task_result)

    with _listening(record):
        yield results
