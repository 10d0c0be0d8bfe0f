"""Background tasks (django.tasks; the `worker` process runs them with db_worker)."""

from __future__ import annotations

from django.tasks import task

from . import services


@task
def generate_images(generation_id: int) -> str | None:
    """Run generation ``generation_id`` on its provider; returns its final status."""
    generation = services.run_generation(generation_id)
    return generation.status if generation else None


@task
def poll_generation(generation_id: int) -> str | None:
    """Ask the provider again about pending generation ``generation_id`` (scheduled with
    ``run_after`` by :func:`services.wait_for_job`); returns its status afterwards."""
    generation = services.poll_generation(generation_id)
    return generation.status if generation else None
