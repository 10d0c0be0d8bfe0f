"""Background tasks (django.tasks, enqueued through :mod:`fluxweb.queue`; ``manage.py
worker`` runs them)."""

from __future__ import annotations

from django.tasks import task

from fluxweb.queue.enqueue import enqueue

from . import pending, routing, running
from .models import Generation


@task
def generate_images(generation_id: int) -> str | None:
    """Run generation ``generation_id`` on its provider; returns its final status (or
    ``running`` while a provider's pending job is polled). Running it twice is harmless:
    only one run claims the queued generation."""
    generation = routing.run_generation(generation_id)  # best-price ones fail over there
    if generation is None:
        return None
    schedule_poll(generation)
    return generation.status


@task
def poll_generation(generation_id: int) -> str | None:
    """Ask the provider again about pending generation ``generation_id``; returns its
    status afterwards."""
    generation = pending.poll_generation(generation_id)
    if generation is None:
        return None
    schedule_poll(generation)
    return generation.status


def schedule_poll(generation: Generation) -> bool:
    """Enqueue ``poll_generation`` at :func:`running.next_poll_at` if ``generation`` waits
    on a provider's pending job; returns whether one was enqueued."""
    poll_at = running.next_poll_at(generation)
    if poll_at is None:
        return False
    enqueue(poll_generation, generation.pk, run_after=poll_at)
    return True
