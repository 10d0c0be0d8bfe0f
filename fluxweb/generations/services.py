"""Business rules for generations on the web side: submitting one, and deleting one.

``submit_generation`` runs in the web request (validate → rows in one transaction, the task
enqueued when it commits); the worker side is :mod:`fluxweb.generations.running`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from fluxweb.budgets import services as budgets
from fluxweb.budgets.prices import estimate_cost
from fluxweb.budgets.services import BudgetStatus
from fluxweb.providers.base import ModelSpec
from fluxweb.queue.enqueue import enqueue

from .models import Generation, GenerationDeletion, Prompt
from .running import delete_files
from .tasks import generate_images

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """What :func:`submit` made: the queued generation, and the author's budget right
    after its reservation (None without a signed-in author)."""

    generation: Generation
    budget: BudgetStatus | None


def submit(author: Any, data: dict[str, Any], source: str = Generation.Source.WEB) -> Submission:
    """Create a queued :class:`Generation` from a valid form's ``cleaned_data`` and
    enqueue its task when the transaction commits (:func:`fluxweb.queue.enqueue.enqueue`):
    a rollback leaves neither. ``source`` says where it came from (the browser or the API).

    A blank seed becomes a random one within the model's range, so every generation
    records the seed it used. The estimate (USD, from the price table) is held against
    the author's budget (a :class:`~fluxweb.budgets.models.Hold`, linked from the
    generation) and stored with it. Raises
    :class:`~fluxweb.budgets.services.QuotaExceeded` (nothing created or enqueued) when
    the request does not fit the author's budget or caps.

    The price read, then one transaction (the locked quota, quota total, hold, ledger row,
    prompt upsert, generation); the task is enqueued once it commits.
    """
    spec: ModelSpec = data["model"]
    seed = data.get("seed")
    if seed is None and spec.seed is not None:
        seed = spec.seed.minimum + secrets.randbelow(spec.seed.maximum - spec.seed.minimum + 1)

    width, height, num_images = data["width"], data["height"], data["num_images"]
    steps = data.get("num_inference_steps")
    estimate_usd = estimate_cost(spec, width, height, steps, num_images)
    signed_in = author is not None and author.is_authenticated
    with transaction.atomic():
        reservation = None
        if signed_in:
            reservation = budgets.reserve(
                author, spec.id, estimate_usd, num_images, team=data.get("team"),
                label=spec.label, note=f"{num_images} × {width}×{height}",
            )
        generation = Generation.objects.create(
            author=author,
            prompt=Prompt.objects.use(data["prompt"]),
            negative_prompt=data.get("negative_prompt", ""),
            provider=spec.provider,
            model=spec.id,
            width=width,
            height=height,
            num_inference_steps=steps,
            guidance_scale=float(data["guidance_scale"]) if data.get("guidance_scale") is not None else None,
            seed=seed,
            num_images=num_images,
            source=source,
            estimated_cost_usd=estimate_usd,
            hold=reservation.hold if reservation else None,
        )
        enqueue(generate_images, generation.pk)
    return Submission(generation, reservation.status if reservation else None)


def submit_generation(author: Any, data: dict[str, Any], source: str = Generation.Source.WEB) -> Generation:
    """The generation :func:`submit` queued (same arguments and errors)."""
    return submit(author, data, source).generation


# How long deletions are remembered for the live gallery: a browser whose stream was cut
# off for longer reloads its page anyway (its Last-Event-ID is older than any replay).
DELETION_RETENTION = timedelta(days=1)


def delete_generation(generation: Generation) -> None:
    """Delete a generation, its images' rows and their files (originals and thumbnails).

    The files go once the transaction commits, so a rolled-back delete keeps them; the
    prompt's history counters are recomputed from the generations left. A
    :class:`GenerationDeletion` row is written in the same transaction, so open galleries
    drop the card (the live stream sends it as a ``deleted`` event).
    """
    names = [
        name
        for image in generation.images.all()
        for name in (image.file.name, image.thumbnail.name)
        if name
    ]
    with transaction.atomic():
        prompt_id = generation.prompt_id
        deleted_id = generation.pk
        generation.delete()
        Prompt.objects.recount([prompt_id])
        GenerationDeletion.objects.filter(deleted_at__lt=timezone.now() - DELETION_RETENTION).delete()
        GenerationDeletion.objects.create(generation_id=deleted_id)
        transaction.on_commit(lambda: delete_files(names))
