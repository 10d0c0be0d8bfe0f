"""Polling a provider's pending job (ImagePipeline): the worker side of a generation that
waits on a job (:func:`~.running.wait_for_job` recorded it) between poll tasks."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from fluxweb.providers.base import PendingJob, ProviderError, RetryableProviderError
from fluxweb.providers.http import answer_budget
from fluxweb.providers.network import provider_call
from fluxweb.providers.registry import get_registry

from .models import Generation
from .running import fail_generation, finish_generation, load, wait_for_job

logger = logging.getLogger(__name__)


def poll_generation(generation_id: int) -> Generation | None:
    """Worker side: ask the provider once about a pending generation's job.

    The job finished → images stored, succeeded; the job failed → failed with the
    provider's reason; still pending (or a retryable error such as a 5xx) → polled again
    later, unless the deadline has passed, which fails it with a readable reason.
    Returns None when the generation is not waiting on a job (finished meanwhile).
    """
    generation = load(generation_id)
    if generation is None:  # deleted meanwhile; the sweep charges its hold
        logger.info("generation %s was deleted; no poll", generation_id)
        return None
    pending = generation.provider_metadata.get("pending")
    if generation.status != Generation.Status.RUNNING or not isinstance(pending, dict):
        logger.info(
            "generation %s is %s and not pending; no poll", generation_id, generation.status
        )
        return None
    job = PendingJob(
        job_id=pending["job_id"],
        poll_after=settings.FLUXWEB_PENDING_POLL_INTERVAL,
        metadata=pending.get("metadata") or {},
    )
    deadline = datetime.fromisoformat(pending["deadline"])
    try:
        provider = get_registry().providers.get(generation.provider)
        if provider is None:
            raise ProviderError(
                f"the provider {generation.provider} is no longer enabled on this server"
            )
        try:
            limits = (settings.FLUXWEB_PROVIDER_TIMEOUT, answer_budget(generation.num_images))
            with provider_call(*limits):
                outcome = provider.poll(job)
        except RetryableProviderError as exc:
            if timezone.now() >= deadline:
                raise ProviderError(
                    f"{provider.label} did not finish in time; last error: {exc.reason}"
                ) from exc
            logger.info(
                "generation %s: polling %s failed, will retry: %s",
                generation_id,
                provider.label,
                exc.reason,
            )
            outcome = job
        if isinstance(outcome, PendingJob):
            if timezone.now() >= deadline:
                timeout = settings.FLUXWEB_PENDING_TIMEOUT
                raise ProviderError(
                    f"{provider.label} did not finish the image within {timeout:g} seconds"
                )
            wait_for_job(generation, outcome, deadline)
        else:
            finish_generation(generation, outcome, provider)
    except ProviderError as exc:
        fail_generation(generation, exc.reason)
    except Exception:
        logger.exception("polling generation %s crashed", generation_id)
        fail_generation(
            generation, "fluxweb hit an internal error while waiting for this generation"
        )
    return generation
