"""Per-call records of provider calls: writing them (the worker), the circuit breaker,
and the per-host figures of the status page (calls, failures, p50 latency, estimate vs
actual USD, price drift).

Recording never raises: a failure to record is logged and the generation goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError
from django.utils import timezone

from fluxweb.core.redact import redact

from .models import ProviderCall

logger = logging.getLogger(__name__)

# Circuit breaker: a host whose last BREAKER_FAILURES calls, all within BREAKER_WINDOW,
# failed is skipped until BREAKER_COOLDOWN after the latest of them.
BREAKER_FAILURES = 3
BREAKER_WINDOW = timedelta(minutes=5)
BREAKER_COOLDOWN = timedelta(seconds=60)


def record_call(
    slug: str,
    model_id: str,
    *,
    ok: bool,
    latency_s: float,
    estimated_usd: Decimal | None = None,
    actual_usd: Decimal | None = None,
    reason: str = "",
) -> None:
    """Keep one :class:`ProviderCall` row: ``latency_s`` seconds, USD amounts, ``reason``
    a user-readable sentence for a failure (redacted, cut to 200 characters)."""
    try:
        ProviderCall.objects.create(
            slug=slug[:32],
            model_id=model_id[:64],
            ok=ok,
            reason=redact(reason)[:200],
            latency_s=max(0.0, latency_s),
            estimated_usd=estimated_usd,
            actual_usd=actual_usd,
        )
    except DatabaseError:
        logger.exception("could not record a call to provider %s", slug)


def open_circuits(slugs: list[str]) -> set[str]:
    """The hosts among ``slugs`` to skip for now: their last :data:`BREAKER_FAILURES` calls
    all failed within :data:`BREAKER_WINDOW`, the latest less than
    :data:`BREAKER_COOLDOWN` ago. Kept in the database, so every worker agrees."""
    now = timezone.now()
    broken = set()
    for slug in slugs:
        recent = list(
            ProviderCall.objects.filter(slug=slug, created_at__gte=now - BREAKER_WINDOW)
            .order_by("-created_at", "-id")
            .values_list("ok", "created_at")[:BREAKER_FAILURES]
        )
        if (
            len(recent) == BREAKER_FAILURES
            and not any(ok for ok, _ in recent)
            and recent[0][1] > now - BREAKER_COOLDOWN
        ):
            broken.add(slug)
    return broken


@dataclass(frozen=True)
class CallStats:
    """One host's calls over a period: counts, median latency (seconds, None without
    calls), and for the calls with a reported cost the estimates' and actual sums (USD)
    and their ratio ``drift`` (actual / estimate; None without such calls)."""

    calls: int
    failures: int
    p50_latency_s: float | None
    estimated_usd: Decimal
    actual_usd: Decimal
    drift: Decimal | None


def call_stats(slug: str, period: timedelta) -> CallStats:
    """:class:`CallStats` of host ``slug`` over the last ``period``."""
    rows = list(
        ProviderCall.objects.filter(slug=slug, created_at__gte=timezone.now() - period).values_list(
            "ok", "latency_s", "estimated_usd", "actual_usd"
        )
    )
    latencies = sorted(latency for _, latency, _, _ in rows)
    p50 = latencies[(len(latencies) - 1) // 2] if latencies else None
    costed = [(est, act) for _, _, est, act in rows if est is not None and act is not None]
    estimated = sum((est for est, _ in costed), Decimal(0))
    actual = sum((act for _, act in costed), Decimal(0))
    drift = (actual / estimated).quantize(Decimal("0.001")) if estimated > 0 else None
    return CallStats(
        calls=len(rows),
        failures=sum(1 for ok, *_ in rows if not ok),
        p50_latency_s=p50,
        estimated_usd=estimated,
        actual_usd=actual,
        drift=drift,
    )
