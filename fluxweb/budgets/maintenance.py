"""Admin operations on budgets: a new budget or period for many quotas at once, a fresh
period now, and the ledger's own sums to check or repair a quota's or team's running
totals (USD)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fluxweb.providers.pricing import USD_PLACES

from .models import LedgerEntry, Quota, Team
from .status import ZERO


def set_budget(
    quotas: Iterable[Quota], budget_usd: Decimal | None, period: str | None = None
) -> int:
    """Give ``quotas`` a new budget (None: no money limit) and optionally a new period."""
    changes: dict[str, Any] = {"budget_usd": budget_usd}
    if period:
        changes["period"] = period
    return Quota.objects.filter(pk__in=[q.pk for q in quotas]).update(**changes)


def reset_period(quotas: Iterable[Quota], now: datetime | None = None) -> int:
    """Start a fresh period now for ``quotas``: totals go to zero. Generations still in
    flight settle against the period they were reserved in, not the new one."""
    now = now or timezone.now()
    return Quota.objects.filter(pk__in=[q.pk for q in quotas]).update(
        period_started_at=now, reserved_usd=ZERO, spent_usd=ZERO
    )


def ledger_totals(pool: Quota | Team) -> tuple[Decimal, Decimal]:
    """(reserved, spent) USD of a quota's or a team's current period, summed from the
    ledger (a quota counts only what its user charged to themselves)."""
    if isinstance(pool, Team):
        rows = LedgerEntry.objects.filter(team_id=pool.pk)
    else:
        rows = LedgerEntry.objects.filter(user_id=pool.user_id, team__isnull=True)
    sums = rows.filter(period_started_at=pool.period_started_at).aggregate(
        reserved=Sum("reserved_usd"), spent=Sum("charged_usd")
    )
    return _exact(sums["reserved"]), _exact(sums["spent"])


def _exact(total: Decimal | None) -> Decimal:
    # SQLite sums decimals as floats; the ledger's values all have 6 places.
    return (total or ZERO).quantize(USD_PLACES) + ZERO


def recompute(pool: Quota | Team) -> bool:
    """Set a quota's or team's totals to the ledger's sums (under its lock). True if they
    differed."""
    model = type(pool)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=pool.pk)
        reserved, spent = ledger_totals(locked)
        if (reserved, spent) == (locked.reserved_usd, locked.spent_usd):
            return False
        model.objects.filter(pk=pool.pk).update(reserved_usd=reserved, spent_usd=spent)
        return True
