"""Several requests held at once, all or nothing: :func:`reserve_batch`.

A batch (e.g. one prompt across several models and seeds) is checked against the budget
and caps once, for the sum of its requests, and refused whole when the sum does not fit.
Each request still gets a :class:`Hold` of its own, so one that fails is released alone
(:func:`~.services.release`) and one that succeeds is settled alone
(:func:`~.services.settle`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from .models import Hold, QuotaModelLimit, Team
from .periods import Period, period_start
from .pools import (
    add_reserved,
    check_money,
    counted_holds,
    in_transaction,
    locked_pools,
    new_hold,
)
from .services import status_after, status_of, team_status
from .status import BudgetStatus, QuotaExceeded


@dataclass(frozen=True)
class HoldRequest:
    """One request of a batch: ``images`` images of ``model_id`` estimated at ``amount_usd``
    (USD, from :func:`~.prices.estimate_cost`); ``label`` names the model in a cap's
    message, ``note`` goes on the ledger row."""

    model_id: str
    amount_usd: Decimal
    images: int
    label: str = ""
    note: str = ""


@dataclass(frozen=True)
class BatchReservation:
    """What :func:`reserve_batch` held: one :class:`Hold` per request, in the order given,
    and the budget (the user's or the team's) right after."""

    holds: list[Hold]
    status: BudgetStatus


def reserve_batch(
    user: Any,
    requests: list[HoldRequest],
    *,
    team: Team | None = None,
    now: datetime | None = None,
) -> BatchReservation:
    """Hold every one of ``requests`` for ``user`` in one transaction, or none of them.

    The money is checked once against the sum of the estimates (``user``'s budget, or
    ``team``'s pool when given, as :func:`~.services.reserve` does); the daily image caps
    against the sum of the images, all models and per model. Raises
    :class:`QuotaExceeded` (nothing written) when the sum does not fit, and
    :class:`ValueError` for an empty ``requests``. Run it inside the transaction that
    creates what the money is held for; the quota (and team) rows stay locked until it
    ends. ``user`` must be a saved user.
    """
    if not requests:
        raise ValueError("A batch needs at least one request.")
    now = now or timezone.now()
    total = sum((request.amount_usd for request in requests), Decimal(0))
    images = sum(request.images for request in requests)
    with in_transaction():
        pool, quota = locked_pools(user, team, requests[0].model_id, now)
        if pool is not None:
            check_money(team_status(pool, now), total)
        else:
            check_money(status_of(quota, now), total)
        images_today = _check_caps(quota, requests, images, now)
        payer = pool if pool is not None else quota
        add_reserved(payer, total, now)
        holds = [
            new_hold(
                user,
                pool,
                request.model_id,
                request.amount_usd,
                request.images,
                payer.period_started_at,
                request.note,
            )
            for request in requests
        ]
    return BatchReservation(holds, status_after(pool, quota, images_today, images, now))


def _check_caps(quota: Any, requests: list[HoldRequest], images: int, now: datetime) -> int | None:
    """Raise :class:`QuotaExceeded` unless the batch's ``images`` fit the quota's daily cap
    and each model's images fit its own cap; returns today's images (all models) when the
    quota has a daily cap, else None. Two queries at most."""
    per_model: Counter[str] = Counter()
    labels = {}
    for request in requests:
        per_model[request.model_id] += request.images
        labels[request.model_id] = request.label or request.model_id
    caps = dict(
        QuotaModelLimit.objects.filter(quota=quota, model_id__in=per_model).values_list(
            "model_id", "images_per_day"
        )
    )
    if quota.images_per_day is None and not caps:
        return None
    sums = {f"m{i}": Sum("images", filter=Q(model=model_id)) for i, model_id in enumerate(caps)}
    totals = counted_holds(quota.user_id, period_start(Period.DAILY, now)).aggregate(
        total=Sum("images"), **sums
    )
    used = totals["total"] or 0
    if quota.images_per_day is not None and used + images > quota.images_per_day:
        raise QuotaExceeded(
            f"You can make {quota.images_per_day} images a day and have made {used} today; "
            f"this comparison makes {images}."
        )
    for i, (model_id, cap) in enumerate(caps.items()):
        used_of_model = totals[f"m{i}"] or 0
        if used_of_model + per_model[model_id] > cap:
            raise QuotaExceeded(
                f"You can make {cap} {labels[model_id]} images a day and have made "
                f"{used_of_model} today; this comparison makes {per_model[model_id]}."
            )
    return used if quota.images_per_day is not None else None
