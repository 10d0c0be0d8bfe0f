"""Business rules for generations: submitting one, and running it on its provider.

``submit_generation`` runs in the web request (validate → rows → enqueue on commit);
``run_generation`` runs in the worker. A provider failure never leaves a generation
queued or running: it ends ``failed`` with a readable reason.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import stamina
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from fluxweb.providers.base import (
    GenerationRequest,
    GenerationResult,
    ModelSpec,
    PendingJob,
    Provider,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.images import check_image
from fluxweb.providers.registry import get_registry

from .models import GeneratedImage, Generation, Prompt

logger = logging.getLogger(__name__)


def submit_generation(author: Any, data: dict[str, Any]) -> Generation:
    """Create a queued :class:`Generation` from a valid form's ``cleaned_data`` and
    enqueue its task once the transaction commits.

    A blank seed becomes a random one within the model's range, so every generation
    records the seed it used. The estimate (USD) is stored with it.
    """
    from .tasks import generate_images

    spec: ModelSpec = data["model"]
    seed = data.get("seed")
    if seed is None and spec.seed is not None:
        seed = spec.seed.minimum + secrets.randbelow(spec.seed.maximum - spec.seed.minimum + 1)
    with transaction.atomic():
        generation = Generation.objects.create(
            author=author,
            prompt=Prompt.objects.for_text(data["prompt"]),
            negative_prompt=data.get("negative_prompt", ""),
            provider=spec.provider,
            model=spec.id,
            width=data["width"],
            height=data["height"],
            num_inference_steps=data.get("num_inference_steps"),
            guidance_scale=float(data["guidance_scale"]) if data.get("guidance_scale") is not None else None,
            seed=seed,
            num_images=data["num_images"],
            estimated_cost_usd=spec.estimate_cost(
                data["width"], data["height"], data.get("num_inference_steps"), data["num_images"]
            ),
        )
        transaction.on_commit(lambda: generate_images.enqueue(generation.pk))
    return generation


def build_request(generation: Generation, spec: ModelSpec) -> GenerationRequest:
    """The provider request for a stored generation."""
    return GenerationRequest(
        model=spec,
        prompt=generation.prompt.text,
        negative_prompt=generation.negative_prompt,
        width=generation.width,
        height=generation.height,
        num_images=generation.num_images,
        num_inference_steps=generation.num_inference_steps,
        guidance_scale=generation.guidance_scale,
        seed=generation.seed,
    )


def call_provider(provider: Provider, request: GenerationRequest) -> GenerationResult | PendingJob:
    """``provider.generate(request)``, retried with exponential backoff (stamina) while
    the error is retryable, up to ``FLUXWEB_PROVIDER_ATTEMPTS`` attempts."""
    for attempt in stamina.retry_context(
        on=RetryableProviderError, attempts=settings.FLUXWEB_PROVIDER_ATTEMPTS, wait_initial=1.0, wait_max=20.0
    ):
        with attempt:
            return provider.generate(request)
    raise AssertionError("unreachable: stamina re-raises the last error")


def run_generation(generation_id: int) -> Generation | None:
    """Worker side: claim the generation, call its provider, store the images.

    Returns the finished generation, or None when it was not queued (already claimed by
    another worker, or cancelled). Never raises for provider problems.
    """
    generation = Generation.objects.select_related("prompt").get(pk=generation_id)
    if not generation.mark_running():
        logger.info("generation %s is %s, not queued; skipping", generation_id, generation.status)
        return None
    started = time.monotonic()
    try:
        registry = get_registry()
        try:
            spec = registry.model(generation.model)
        except KeyError:
            raise ProviderError(f"the model {generation.model} is not enabled on this server") from None
        provider = registry.provider_for(spec)
        request = build_request(generation, spec)
        # From here on a dead worker may have been charged for: the sweep won't retry it.
        generation.mark_provider_called()
        outcome = call_provider(provider, request)
        if isinstance(outcome, PendingJob):
            raise ProviderError(f"{provider.label} answered 'pending', which fluxweb does not support yet")
        store_images(generation, outcome, provider.label)
        generation.mark_succeeded(seed=outcome.seed, actual_cost_usd=outcome.cost_usd, metadata=outcome.metadata)
        outcome_name = "succeeded"
    except ProviderError as exc:
        fail_generation(generation, exc.reason)
        outcome_name = "failed"
    except Exception:
        logger.exception("generation %s crashed", generation_id)
        fail_generation(generation, "fluxweb hit an internal error while running this generation")
        outcome_name = "crashed"
    latency = time.monotonic() - started
    logger.info(
        "generation=%s provider=%s model=%s latency_s=%.3f outcome=%s",
        generation.pk, generation.provider, generation.model, latency, outcome_name,
        extra={"generation_id": generation.pk, "provider": generation.provider, "model": generation.model,
               "latency_s": round(latency, 3), "outcome": outcome_name},
    )
    return generation


def fail_generation(generation: Generation, reason: str) -> bool:
    """The one way a generation ends ``failed``: every failure path (provider errors, crashes,
    the stuck-work sweep) comes here, so whatever a failure must undo is undone once.

    Returns False if the generation had already finished.
    """
    return generation.mark_failed(reason)


def store_images(generation: Generation, result: GenerationResult, provider_label: str) -> list[GeneratedImage]:
    """Check every image (format, decodability, caps) and save it through the default
    storage. Raises :class:`ProviderError` if any image is bad; nothing is saved then."""
    if not result.images:
        raise ProviderError(f"{provider_label} returned no image")
    checked = [check_image(data, provider_label) for data in result.images]
    stored = []
    for index, image in enumerate(checked):
        if (image.width, image.height) != (generation.width, generation.height):
            logger.warning(
                "generation %s image %s is %sx%s, requested %sx%s",
                generation.pk, index, image.width, image.height, generation.width, generation.height,
            )
        record = GeneratedImage(
            generation=generation,
            index=index,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
        )
        record.file.save(f"image.{image.extension}", ContentFile(image.data), save=True)
        stored.append(record)
    return stored
