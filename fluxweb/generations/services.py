"""Business rules for generations on the web side: submitting, cancelling, retrying and
deleting one.

``submit_generation`` runs in the web request (validate → rows in one transaction, the task
enqueued when it commits); the worker side is :mod:`fluxweb.generations.running`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fluxweb.budgets import services as budgets
from fluxweb.budgets.prices import estimate_cost
from fluxweb.budgets.services import BudgetStatus
from fluxweb.providers.base import ModelSpec
from fluxweb.providers.registry import get_registry
from fluxweb.queue.enqueue import enqueue

from .models import Generation, GenerationDeletion, Prompt
from .storing import delete_files
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
    enqueue its task, which a worker sees when the transaction commits
    (:func:`fluxweb.queue.enqueue.enqueue`): a rollback leaves neither. ``source`` says
    where it came from (the browser or the API).

    A blank seed becomes a random one within the model's range, so every generation
    records the seed it used. The estimate (USD, from the price table) is held against
    the author's budget (a :class:`~fluxweb.budgets.models.Hold`, linked from the
    generation) and stored with it. Raises
    :class:`~fluxweb.budgets.services.QuotaExceeded` (nothing created or enqueued) when
    the request does not fit the author's budget or caps.

    The price read, then one transaction (the locked quota, quota total, hold, ledger row,
    prompt upsert, generation and, on the database backend, the task row).
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
                author,
                spec.id,
                estimate_usd,
                num_images,
                team=data.get("team"),
                label=spec.label,
                note=f"{num_images} × {width}×{height}",
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
            guidance_scale=float(data["guidance_scale"])
            if data.get("guidance_scale") is not None
            else None,
            seed=seed,
            num_images=num_images,
            options=data["options"]
            if "options" in data
            else {name: data[name] for name in spec.options if name in data},
            source=source,
            estimated_cost_usd=estimate_usd,
            hold=reservation.hold if reservation else None,
        )
        enqueue(generate_images, generation.pk)
    return Submission(generation, reservation.status if reservation else None)


def submit_generation(
    author: Any, data: dict[str, Any], source: str = Generation.Source.WEB
) -> Generation:
    """The generation :func:`submit` queued (same arguments and errors)."""
    return submit(author, data, source).generation


def cancel_generation(generation: Generation, by: Any) -> bool:
    """Cancel a queued or running generation on behalf of ``by`` (the caller checks that
    ``by`` may: :func:`fluxweb.generations.access.can_cancel`).

    Queued: it ends ``cancelled`` at once, is never sent to its provider, and its budget
    hold is released in full, in one transaction. Running: its provider has been asked
    already and bills the work, so it is marked to be discarded when the answer arrives
    (:func:`fluxweb.generations.running.discard_cancelled`: ``cancelled``, charged the
    provider's reported cost, else the estimate). Returns False when it had already
    finished (or its cancel was already asked for).
    """
    with transaction.atomic():
        if generation.mark_cancelled():
            if (hold := generation.hold) is not None:
                budgets.release(hold, f"cancelled by {by.get_username()}" if by else "cancelled")
            logger.info("generation %s cancelled while queued", generation.pk)
            return True
    if generation.request_cancel():
        logger.info("generation %s cancelled while running", generation.pk)
        return True
    return False


class RetryError(Exception):
    """A generation cannot be retried (its model is no longer enabled); ``message`` says
    why in words fit for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def retry_generation(generation: Generation, by: Any) -> Submission:
    """Submit ``generation``'s parameters again (prompt, negative prompt, model, size,
    steps, guidance, seed, images) as a new generation by ``by``, through :func:`submit`,
    so it is held against ``by``'s budget again (the same team's pool when ``by`` is the
    author and the original was charged to a team). Raises :class:`RetryError` when the
    model is not enabled any more, and :class:`~fluxweb.budgets.services.QuotaExceeded`
    when it does not fit the budget."""
    spec = get_registry().all_models.get(generation.model)
    if spec is None:
        raise RetryError(f"The model {generation.model} is not enabled on this server any more.")
    data: dict[str, Any] = {**generation.form_values(), "model": spec, "team": None}
    if data["guidance_scale"] is not None:
        data["guidance_scale"] = Decimal(str(data["guidance_scale"]))
    hold = generation.hold
    if (
        hold is not None
        and hold.team_id is not None
        and by is not None
        and by.pk == generation.author_id
    ):
        data["team"] = hold.team
    return submit(by, data, generation.source)


# How long deletions are remembered for the live gallery: a browser whose stream was cut
# off for longer reloads its page anyway (its Last-Event-ID is older than any replay).
DELETION_RETENTION = timedelta(days=1)


def delete_generation(generation: Generation, by: Any = None) -> None:
    """Delete a generation, its images' rows and their files (originals and thumbnails).

    A queued or running one is cancelled first (:func:`cancel_generation`): a queued one's
    hold is released; a running one's provider bills the work, so its hold stays held for
    the answer, which finds no generation and charges the hold what the provider reports,
    else the estimate (:func:`~fluxweb.generations.running.discard_cancelled`); a hold
    whose answer never comes is charged the estimate by the stuck-work sweep
    (:func:`~fluxweb.generations.sweep.sweep_stuck_work`).

    The files go once the transaction commits, so a rolled-back delete keeps them; the
    prompt's history counters are recomputed from the generations left. A
    :class:`GenerationDeletion` row is written in the same transaction, so open galleries
    drop the card (the live stream sends it as a ``deleted`` event).
    """
    if not generation.is_finished:
        cancel_generation(generation, by)
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
        GenerationDeletion.objects.filter(
            deleted_at__lt=timezone.now() - DELETION_RETENTION
        ).delete()
        GenerationDeletion.objects.create(generation_id=deleted_id)
        transaction.on_commit(lambda: delete_files(names))
