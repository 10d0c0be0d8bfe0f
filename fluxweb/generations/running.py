"""The worker side of a generation: claim it, call its provider, store the images, finish.

``run_generation`` runs in a worker task (:mod:`fluxweb.generations.tasks`). A provider
failure never leaves a generation queued or running: it ends ``failed`` with a readable
reason, its budget returned (:func:`fail_generation`).

Providers that answer "pending" (ImagePipeline) do not hold a worker while they work: the
generation stays ``running`` with the job in ``provider_metadata["pending"]``, and
:func:`~.pending.poll_generation` tasks, each scheduled ``poll_after`` seconds ahead (by
the task that ran, from :func:`next_poll_at`), ask again until the job finishes, fails, or passes
``FLUXWEB_PENDING_TIMEOUT`` seconds.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import stamina
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fluxweb.budgets import services as budgets
from fluxweb.core.redact import redact
from fluxweb.providers.answers import trusted_cost
from fluxweb.providers.base import (
    GenerationRequest,
    GenerationResult,
    ModelSpec,
    PendingJob,
    Provider,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.http import answer_budget
from fluxweb.providers.network import provider_call
from fluxweb.providers.registry import get_registry
from fluxweb.providerstatus import calls as provider_calls
from fluxweb.providerstatus import recording as provider_status
from fluxweb.queue.connections import release_connection

from .models import GeneratedImage, Generation
from .safety import request_options
from .storing import delete_files, store_images

logger = logging.getLogger(__name__)


def build_request(generation: Generation, spec: ModelSpec) -> GenerationRequest:
    """The provider request for a stored generation (options: :func:`.request_options`)."""
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
        options=request_options(generation.options, spec),
    )


def call_provider(provider: Provider, request: GenerationRequest) -> GenerationResult | PendingJob:
    """``provider.generate(request)``, retried with exponential backoff (stamina) while
    the error is retryable, up to ``FLUXWEB_PROVIDER_ATTEMPTS`` attempts.

    Each attempt is one provider call: ``FLUXWEB_PROVIDER_TIMEOUT`` seconds in total and
    :func:`answer_budget` bytes. Once the provider accepted the request (a 2xx answer),
    it is never sent again: a later retryable error (an image download that kept
    failing) fails the call instead, as a non-retryable :class:`ProviderError`."""
    for attempt in stamina.retry_context(
        on=RetryableProviderError,
        attempts=settings.FLUXWEB_PROVIDER_ATTEMPTS,
        wait_initial=1.0,
        wait_max=20.0,
        # Bounded by the attempts, each with its own deadline (FLUXWEB_STUCK_AFTER assumes
        # all of them), not by stamina's default 45 s in total, which a slow attempt ate.
        timeout=None,
    ):
        limits = (settings.FLUXWEB_PROVIDER_TIMEOUT, answer_budget(request.num_images))
        with attempt, provider_call(*limits) as call:
            try:
                return provider.generate(request)
            except RetryableProviderError as exc:
                if not call.accepted:
                    raise
                raise ProviderError(exc.reason, status_code=exc.status_code) from exc
    raise AssertionError("unreachable: stamina re-raises the last error")


# The reason a generation shows when fluxweb itself failed while running it (logged in full).
INTERNAL_ERROR = "fluxweb hit an internal error while running this generation"


def prepare_call(generation: Generation) -> tuple[Provider, GenerationRequest]:
    """The provider and request for ``generation``; :class:`ProviderError` when its model
    is not enabled on this server."""
    registry = get_registry()
    try:
        spec = registry.model(generation.model)
    except KeyError:
        raise ProviderError(f"the model {generation.model} is not enabled on this server") from None
    return registry.provider_for(spec), build_request(generation, spec)


def call_and_finish(generation: Generation, provider: Provider, request: GenerationRequest) -> str:
    """Call the provider for a running generation and finish it (:func:`finish_outcome`);
    returns the outcome's name for the log. Never raises for provider problems or crashes:
    the generation is failed with a readable reason."""
    try:
        # The provider call holds no database connection: with a worker pool, threads
        # waiting on providers leave the pool to those that write (docs/deployment.md).
        release_connection()
        outcome = call_provider(provider, request)
    except Exception as exc:
        return _fail(generation, exc)
    return finish_outcome(generation, outcome, provider)


def finish_outcome(
    generation: Generation, outcome: GenerationResult | PendingJob, provider: Provider
) -> str:
    """Record ``provider``'s answer for the running ``generation``: store its images and
    charge it (:func:`finish_generation`), or leave it waiting on a pending job
    (:func:`wait_for_job`). Returns the outcome's name for the log (``succeeded``,
    ``pending``, ``failed`` or ``crashed``, or what the generation already was when the
    answer came too late: :func:`recorded_outcome`). Never raises: an answer that cannot
    be stored fails the generation with a readable reason."""
    try:
        if isinstance(outcome, PendingJob):
            recorded, name = wait_for_job(generation, outcome), "pending"
        else:
            recorded, name = finish_generation(generation, outcome, provider), "succeeded"
    except Exception as exc:
        return _fail(generation, exc)
    return name if recorded else recorded_outcome(generation, name)


def _fail(generation: Generation, exc: Exception) -> str:
    """Fail ``generation`` for ``exc`` raised while calling its provider or recording the
    answer: a :class:`ProviderError` with its reason (``failed``), anything else as an
    internal error, logged with its traceback (``crashed``). Returns the outcome's name
    for the log (:func:`recorded_outcome` when it had finished already)."""
    if isinstance(exc, ProviderError):
        recorded, name = fail_generation(generation, exc.reason), "failed"
    else:
        logger.error("generation %s crashed", generation.pk, exc_info=exc)
        recorded, name = fail_generation(generation, INTERNAL_ERROR), "crashed"
    return name if recorded else recorded_outcome(generation, name)


def recorded_outcome(generation: Generation, attempted: str) -> str:
    """The outcome to log when ``attempted`` was not recorded because the generation had
    already finished (the sweep failed it, or it was cancelled): what it actually is."""
    try:
        generation.refresh_from_db(fields=["status"])
    except Generation.DoesNotExist:
        logger.warning("generation %s was deleted while its provider call ran", generation.pk)
        return "deleted"
    logger.warning(
        "generation %s was already %s when its provider call ended (%s); kept that",
        generation.pk,
        generation.status,
        attempted,
    )
    return str(generation.status)


def load(generation_id: int) -> Generation | None:
    """The generation a worker task runs, with its prompt and its hold (the outcome's
    transaction settles or releases it); None when it no longer exists. One query, without
    the ORDER BY of the model's ordering that ``first()`` would add."""
    try:
        return Generation.objects.select_related("prompt", "hold").get(pk=generation_id)
    except Generation.DoesNotExist:
        return None


def run_generation(generation_id: int) -> Generation | None:
    """Worker side: claim the generation, call its provider, store the images (:func:`run`).
    None when it was not queued or no longer exists."""
    generation = load(generation_id)
    return None if generation is None else run(generation)


def run(generation: Generation) -> Generation | None:
    """Claim ``generation`` (as loaded by :func:`load`), call its provider, store the images.

    Returns the finished generation, or None when it was not queued (already claimed by
    another worker, or cancelled). Never raises for provider problems.
    """
    generation_id = generation.pk
    call: tuple[Provider, GenerationRequest] | None = None
    try:
        call = prepare_call(generation)
    except ProviderError as exc:
        problem, outcome_name = exc.reason, "failed"
    except Exception:
        logger.exception("generation %s crashed", generation_id)
        problem, outcome_name = INTERNAL_ERROR, "crashed"
    # One write claims it and, when the call is ready to go, stamps provider_called_at:
    # from here on a dead worker may have been charged for, so the sweep won't retry it.
    if not generation.mark_running(provider_called=call is not None):
        logger.info("generation %s is %s, not queued; skipping", generation_id, generation.status)
        return None
    started = time.monotonic()
    if call is None:
        fail_generation(generation, problem)
    else:
        outcome_name = call_and_finish(generation, *call)
    latency = time.monotonic() - started
    if call is not None:  # one row per provider call: the status page's figures
        estimate, actual = generation.estimated_cost_usd, generation.actual_cost_usd
        provider_calls.record_call(
            generation.provider,
            generation.model,
            ok=outcome_name in ("succeeded", "pending"),
            latency_s=latency,
            estimated_usd=estimate,
            actual_usd=actual if outcome_name == "succeeded" else None,
            reason=generation.error,
        )
    logger.info(
        "generation=%s provider=%s model=%s latency_s=%.3f outcome=%s",
        generation.pk,
        generation.provider,
        generation.model,
        latency,
        outcome_name,
        extra={
            "generation_id": generation.pk,
            "provider": generation.provider,
            "model": generation.model,
            "latency_s": round(latency, 3),
            "outcome": outcome_name,
        },
    )
    return generation


def fail_generation(generation: Generation, reason: str) -> bool:
    """The one way a generation ends ``failed``: every failure path (provider errors, crashes,
    the stuck-work sweep) comes here, so whatever a failure must undo is undone once.

    The failure and the release of its budget hold commit together, and only the call
    whose conditional transition succeeds releases, so a reservation is returned exactly
    once. Returns False if the generation had already finished.
    """
    reason = redact(reason)  # shown to every member, stored in the ledger and status page
    with transaction.atomic():
        failed = generation.mark_failed(reason)
        if failed and generation.hold is not None:
            budgets.release(generation.hold, generation.error[:200])
    if failed:
        provider_status.record_failure(generation.provider, reason)
    return failed


def finish_generation(generation: Generation, result: GenerationResult, provider: Provider) -> bool:
    """Store ``result``'s images and mark the generation succeeded with the provider's
    reported seed, cost (USD; charged only when :func:`trusted_cost` believes it, else the
    estimate, and the provider's status flags it) and metadata. Returns whether it was
    recorded. Raises :class:`ProviderError` for bad images.

    The files are written first; their rows, the success and its charge then commit in
    one transaction (one commit, and no image rows on a generation that did not succeed).
    If the generation was no longer running (the sweep failed it meanwhile), or the
    transaction fails, the files are deleted again. If its cancel was asked for (or it was
    deleted) while the provider worked, the images are discarded and it ends ``cancelled``,
    charged the provider's reported cost, else the estimate (:func:`discard_cancelled`),
    bad images or not.

    The success's conditional UPDATE is what sees a cancel: cancels while a provider works
    are rare, so a generation is not read again before its images are stored (one statement
    fewer per generation; a cancelled one's files are written and deleted again)."""
    try:
        images = store_images(generation, result, provider.label)
    except ProviderError:
        if discard_cancelled(generation, result):
            return False  # cancelled or deleted meanwhile: the answer is discarded either way
        raise
    cost, distrust = trusted_cost(result.cost_usd, generation.estimated_cost_usd)
    metadata = result.metadata
    if distrust:
        metadata = {**metadata, "ignored_cost_usd": str(result.cost_usd)[:40]}
    succeeded = False
    try:
        with transaction.atomic():  # images, success and its charge commit together
            succeeded = generation.mark_succeeded(
                seed=result.seed, actual_cost_usd=cost, metadata=metadata
            )
            if succeeded:
                GeneratedImage.objects.bulk_create(images)
                if generation.hold is not None:
                    charge = generation.actual_cost_usd
                    if charge is None and generation.route:  # best price: the served host's
                        charge = generation.estimated_cost_usd  # estimate, not the dearest held
                    budgets.settle(generation.hold, charge)
        if not succeeded:  # cancelled while the images were being stored
            discard_cancelled(generation, result)
    finally:
        if not succeeded:
            names = (name for image in images for name in (image.file.name, image.thumbnail.name))
            delete_files([name for name in names if name])
    if succeeded:
        provider_status.record_success(generation.provider, result.metadata)
        if distrust:
            report = f"{str(result.cost_usd)[:40]} ({distrust})"
            logger.warning(
                "generation %s: %s reported a cost of %s; charged the estimate",
                generation.pk,
                provider.label,
                report,
            )
            provider_status.record_ignored_cost(generation.provider, report)
    return succeeded


def generation_exists(generation: Generation) -> bool:
    """Whether ``generation``'s row is still there (it is not deleted). One query."""
    return Generation.objects.filter(pk=generation.pk).exists()


def discard_cancelled(generation: Generation, result: GenerationResult) -> bool:
    """End a running generation whose cancel was asked for as ``cancelled`` and charge its
    hold what the provider reported (``result.cost_usd``, USD, when :func:`trusted_cost`
    believes it), else the estimate: the provider bills the work anyway. Its images are not
    kept. A generation deleted while its provider worked has no row left to end, but its
    hold was kept for this answer and is charged the same way. Returns whether the answer
    was discarded so: False (nothing recorded, nothing charged) when the generation exists
    but was not a running one waiting to be cancelled."""
    cost = trusted_cost(result.cost_usd, generation.estimated_cost_usd)[0]
    hold = generation.hold
    with transaction.atomic():
        cancelled = generation.mark_cancelled_after_run(
            actual_cost_usd=cost, metadata=result.metadata
        )
        discarded = cancelled or not generation_exists(generation)
        if hold is not None and discarded:
            budgets.settle(hold, cost)  # only a hold still held is charged
    return discarded


def wait_for_job(generation: Generation, job: PendingJob, deadline: datetime | None = None) -> bool:
    """Keep ``generation`` running while its provider works on ``job``: remember the job
    in ``provider_metadata["pending"]`` (id, provider metadata, deadline, and ``poll_at``:
    ``job.poll_after`` seconds from now, never after the deadline; ISO 8601 datetimes).
    :func:`next_poll_at` reads ``poll_at`` back so the task that ran this schedules the poll.

    ``deadline`` defaults to now + ``FLUXWEB_PENDING_TIMEOUT`` seconds (the first wait).
    Returns False, recording nothing, if the generation is no longer running.
    """
    now = timezone.now()
    if deadline is None:
        deadline = now + timedelta(seconds=settings.FLUXWEB_PENDING_TIMEOUT)
    poll_at = min(now + timedelta(seconds=max(0.0, job.poll_after)), deadline)
    metadata = {
        **generation.provider_metadata,
        "job_id": job.job_id,
        "pending": {
            "job_id": job.job_id,
            "metadata": job.metadata,
            "deadline": deadline.isoformat(),
            "poll_at": poll_at.isoformat(),
        },
    }
    # No updated_at stamp: the card does not change while the job waits.
    if not Generation.objects.filter(pk=generation.pk, status=Generation.Status.RUNNING).update(
        provider_metadata=metadata
    ):
        return False
    generation.provider_metadata = metadata
    return True


def next_poll_at(generation: Generation) -> datetime | None:
    """When the provider should next be asked about ``generation``'s pending job (an aware
    datetime recorded by :func:`wait_for_job`), or None if it is not waiting on one."""
    pending = generation.provider_metadata.get("pending")
    if generation.status != Generation.Status.RUNNING or not isinstance(pending, dict):
        return None
    try:
        return datetime.fromisoformat(pending["poll_at"])
    except (KeyError, TypeError, ValueError):
        return None
