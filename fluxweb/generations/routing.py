"""The worker side of a best-price generation (:mod:`fluxweb.providers.routes`): try its
hosts cheapest first and fail over to the next when another host may succeed.

Hosts are the enabled models of the generation's FLUX.1 variant that take its size, steps
and count, ordered by their estimates from the price table
(:func:`fluxweb.budgets.prices.host_estimates`). A host whose recent calls keep failing
is skipped for a while (:func:`fluxweb.providerstatus.calls.open_circuits`), unless every
host is. Failover happens only on errors that say another host may succeed
(:data:`FAILOVER_ERRORS`: out of credits, rejected key, 429/5xx/timeouts after the
retries of :func:`~.running.call_provider`), never on an invalid request nor once a host
accepted the request (an accepted request turns retryable errors into plain ones), so a
request is never paid twice.

Money: submit reserved the dearest eligible host's estimate; before each attempt the
generation's ``estimated_cost_usd`` becomes that host's estimate, so the hold is settled
with what the host that served reported, else its own estimate. ``route`` records every
host tried with a short reason ("out of credits"); all failing ends one failure that gives
every host's reason, its hold released.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Any

from fluxweb.budgets.prices import host_estimates
from fluxweb.providers.answers import trusted_cost
from fluxweb.providers.base import (
    AuthenticationError,
    GenerationResult,
    ModelSpec,
    OutOfCreditsError,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.registry import get_registry
from fluxweb.providers.routes import is_virtual
from fluxweb.providerstatus import recording as provider_status
from fluxweb.providerstatus.calls import open_circuits, record_call
from fluxweb.queue.connections import release_connection

from . import running
from .models import Generation

logger = logging.getLogger(__name__)

FAILOVER_ERRORS = (OutOfCreditsError, AuthenticationError, RetryableProviderError)
SKIPPED = "skipped (recent calls failed)"


def short_reason(exc: ProviderError) -> str:
    """A few words for the route line: "out of credits", "rejected the key", ..."""
    if isinstance(exc, OutOfCreditsError):
        return "out of credits"
    if isinstance(exc, AuthenticationError):
        return "rejected the key"
    if isinstance(exc, RetryableProviderError):
        return "timed out" if "time" in exc.reason.lower() else "kept failing"
    return "failed"


def plan(generation: Generation) -> tuple[list[tuple[ModelSpec, Decimal]], list[ModelSpec]]:
    """The hosts to try for ``generation`` with their estimates (USD), cheapest first, and
    the hosts skipped by the circuit breaker (all are tried when every host is open)."""
    spec = get_registry().all_models.get(generation.model)
    if spec is None:
        return [], []
    steps = generation.num_inference_steps
    hosts = host_estimates(spec, generation.width, generation.height, steps, generation.num_images)
    broken = open_circuits([host.provider for host, _ in hosts])
    healthy = [pair for pair in hosts if pair[0].provider not in broken]
    if not healthy:
        return hosts, []
    return healthy, [host for host, _ in hosts if host.provider in broken]


def run_generation(generation_id: int) -> Generation | None:
    """Worker side of any generation: a best-price one is routed here, any other runs
    through :func:`fluxweb.generations.running.run` (one read of the generation for both).
    Returns the generation, or None when it was not queued or no longer exists. Never
    raises for provider problems."""
    generation = running.load(generation_id)
    if generation is None:
        logger.info("generation %s no longer exists; nothing to run", generation_id)
        return None
    if not is_virtual(generation.model):
        return running.run(generation)
    try:
        hosts, skipped = plan(generation)
    except Exception:
        logger.exception("routing generation %s crashed", generation_id)
        hosts, skipped = [], []
    if not generation.mark_running(provider_called=bool(hosts)):
        logger.info("generation %s is %s, not queued; skipping", generation_id, generation.status)
        return None
    route = [{"provider": h.provider, "label": _label(h), "reason": SKIPPED} for h in skipped]
    if not hosts:
        running.fail_generation(
            generation, f"no enabled host of {generation.model_label} takes this request"
        )
    else:
        outcome = route_and_finish(generation, hosts, route)
        logger.info("generation=%s routed outcome=%s", generation.pk, outcome)
    return generation


def _label(spec: ModelSpec) -> str:
    provider = get_registry().providers.get(spec.provider)
    return provider.label if provider else spec.provider


def _save(generation: Generation, **changes: Any) -> None:
    """Write ``changes`` (field name → value) to ``generation``'s row and to the instance."""
    Generation.objects.filter(pk=generation.pk).update(**changes)
    for name, value in changes.items():
        setattr(generation, name, value)


def route_and_finish(
    generation: Generation, hosts: list[tuple[ModelSpec, Decimal]], route: list[dict[str, str]]
) -> str:
    """Try ``hosts`` in order for the running ``generation`` until one answers, then finish
    it as :func:`~.running.call_and_finish` does; returns the outcome's name."""
    registry = get_registry()
    reasons: list[str] = []
    for index, (spec, estimate) in enumerate(hosts):
        provider = registry.provider_for(spec)
        last = index == len(hosts) - 1
        _save(generation, provider=spec.provider, estimated_cost_usd=estimate, route=route)
        started = time.monotonic()
        try:
            release_connection()
            outcome = running.call_provider(provider, running.build_request(generation, spec))
        except ProviderError as exc:
            latency = time.monotonic() - started
            record_call(spec.provider, spec.id, ok=False, latency_s=latency, reason=exc.reason)
            route = [*route, {"provider": spec.provider, "label": provider.label}]
            route[-1]["reason"] = short_reason(exc)
            reasons.append(f"{provider.label}: {exc.reason}")
            if isinstance(exc, FAILOVER_ERRORS) and not last:
                logger.info("generation %s: %s failed over", generation.pk, provider.label)
                provider_status.record_failure(spec.provider, exc.reason)
                continue
            _save(generation, route=route)
            summary = "; ".join(reasons)
            if len(reasons) > 1:
                summary = f"every host failed: {summary}"
            running.fail_generation(generation, summary if len(reasons) > 1 else exc.reason)
            return "failed"
        except Exception:
            logger.exception("generation %s crashed", generation.pk)
            _save(generation, route=route)
            running.fail_generation(generation, running.INTERNAL_ERROR)
            return "crashed"
        latency = time.monotonic() - started
        route = [*route, {"provider": spec.provider, "label": provider.label, "reason": ""}]
        _save(generation, route=route)
        reported = outcome.cost_usd if isinstance(outcome, GenerationResult) else None
        reported = trusted_cost(reported, estimate)[0]  # a bogus figure never feeds drift
        record_call(
            spec.provider,
            spec.id,
            ok=True,
            latency_s=latency,
            estimated_usd=estimate,
            actual_usd=reported,
        )
        return running.finish_outcome(generation, outcome, provider)
    raise AssertionError("unreachable: the last host's failure returns")
