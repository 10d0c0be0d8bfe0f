"""Budget pools (a user's :class:`Quota` or a :class:`Team`) and holds: the locked reads and
the writes that every reservation is made of, shared by :func:`.services.reserve` (one
request) and :func:`.batches.reserve_batch` (a comparison's cells).

Each function runs inside the reserving transaction (:func:`in_transaction`), after the pool
rows were locked in the one order every caller keeps: team row first, then the user's quota
row.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Round
from django.utils import timezone

from .models import BudgetDefaults, Hold, LedgerEntry, Quota, QuotaModelLimit, Team
from .periods import period_start
from .status import ZERO, BudgetStatus, QuotaExceeded


def plus(field: str, delta: Decimal) -> Round:
    """``field + delta`` computed by the database. Rounded to the column's 6 places because
    SQLite keeps decimals as binary floats, whose errors would otherwise pile up."""
    return Round(F(field) + delta, 6)


def quota_for(user: Any, now: datetime | None = None) -> Quota:
    """The user's :class:`Quota`, created from :class:`BudgetDefaults` (with its per-model
    limits) the first time. Safe when two requests create it at once."""
    now = now or timezone.now()
    defaults = BudgetDefaults.load()
    quota, created = Quota.objects.get_or_create(
        user=user,
        defaults={
            "budget_usd": defaults.budget_usd,
            "period": defaults.period,
            "images_per_day": defaults.images_per_day,
            "period_started_at": period_start(defaults.period, now),
        },
    )
    if created:
        QuotaModelLimit.objects.bulk_create(
            QuotaModelLimit(
                quota=quota, model_id=limit.model_id, images_per_day=limit.images_per_day
            )
            for limit in defaults.model_limits.all()
        )
    return quota


def locked_quota(user: Any, model_id: str, now: datetime) -> Quota:
    """The user's quota row, locked (``SELECT ... FOR UPDATE``) until the transaction ends,
    with ``model_limit``: its images-per-day cap for ``model_id`` or None. One query; a
    user without a quota row gets one from the defaults first (:func:`quota_for`)."""
    cap = QuotaModelLimit.objects.filter(quota=OuterRef("pk"), model_id=model_id).values(
        "images_per_day"
    )[:1]
    # Not first(): the default ordering would join auth_user, and FOR UPDATE would lock that
    # row too.
    locked = Quota.objects.select_for_update().annotate(model_limit=Subquery(cap))
    try:
        return locked.get(user=user)
    except Quota.DoesNotExist:
        quota_for(user, now)
        return locked.get(user=user)


def locked_pools(
    user: Any, team: Team | None, model_id: str, now: datetime
) -> tuple[Team | None, Quota]:
    """The pools a reservation for ``user`` may touch, locked until the transaction ends in
    the one order every caller keeps, so that two reservations never wait on each other:
    ``team``'s row first (:func:`locked_team`, when a team pays; else None), then the
    user's quota row with its cap for ``model_id`` (:func:`locked_quota`)."""
    pool = locked_team(team, user) if team is not None else None
    return pool, locked_quota(user, model_id, now)


def counted_holds(user_id: int, since: datetime) -> QuerySet[Hold]:
    """The user's holds since ``since`` whose images count against daily caps: held or
    settled ones, not released ones (their request failed and was refunded)."""
    holds = Hold.objects.filter(user_id=user_id, created_at__gte=since)
    return holds.exclude(state=Hold.State.RELEASED)


def new_hold(
    user: Any,
    team: Team | None,
    model_id: str,
    amount_usd: Decimal,
    images: int,
    period_started_at: datetime,
    note: str,
) -> Hold:
    """Write a :class:`Hold` of ``amount_usd`` (USD) for ``images`` images and its
    ``reserve`` ledger row (``note`` cut to the column's 200 characters); the caller has
    checked and moved the pool's reserved total."""
    hold = Hold.objects.create(
        user=user,
        team=team,
        model=model_id,
        images=images,
        reserved_usd=amount_usd,
        period_started_at=period_started_at,
    )
    LedgerEntry.objects.create(
        user=user,
        team=team,
        hold=hold,
        model=model_id,
        kind=LedgerEntry.Kind.RESERVE,
        reserved_usd=amount_usd,
        period_started_at=period_started_at,
        note=note[:200],
    )
    return hold


def locked_team(team: Team, user: Any) -> Team:
    """``team``'s row, locked until the transaction ends (only that row, not the membership
    join). Raises :class:`QuotaExceeded` unless ``user`` is one of its members."""
    locked = Team.objects.select_for_update(of=("self",)).filter(pk=team.pk, members=user).first()
    if locked is None:
        raise QuotaExceeded(f"You are not a member of the team {team.name}.")
    return locked


def check_money(status: BudgetStatus, amount: Decimal) -> None:
    message = status.shortfall(amount)
    if message:
        raise QuotaExceeded(message, needed_usd=amount, remaining_usd=status.remaining_usd)


def in_transaction() -> AbstractContextManager[Any]:
    """The caller's transaction when there is one (no SAVEPOINT round trips), else a new one."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()


def add_reserved(pool: Quota | Team, amount: Decimal, now: datetime) -> None:
    """Add ``amount`` to the locked pool's (quota's or team's) reserved total (one UPDATE),
    starting its totals again from zero first when a new period has begun; ``pool`` is
    updated to match."""
    rows = type(pool).objects.filter(pk=pool.pk)
    start = period_start(pool.period, now)
    if start > pool.period_started_at:
        rows.update(period_started_at=start, reserved_usd=amount, spent_usd=ZERO)
        pool.period_started_at, pool.reserved_usd, pool.spent_usd = start, amount, ZERO
    else:
        rows.update(reserved_usd=plus("reserved_usd", amount))
        pool.reserved_usd += amount
