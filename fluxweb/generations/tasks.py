"""Background tasks (django.tasks; the `worker` process runs them with db_worker)."""

from __future__ import annotations

from django.tasks import task

from . import services


@task
def generate_images(generation_id: int) -> str | None:
    """Run generation ``generation_id`` on its provider; returns its final status."""
    generation = services.run_generation(generation_id)
    return generation.status if generation else None
