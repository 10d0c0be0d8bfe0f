"""Budget rules: hold on submit, settle on success, release on failure.

The budgets app is a ledger that knows nothing of what the money is spent on: a caller
holds an estimate with :func:`reserve`, keeps the :class:`Hold` it gets (a generation
points at its hold), and later settles it (:func:`settle`) or releases it (:func:`release`).

Every change to a user's money happens in one transaction that holds the lock on that
user's :class:`Quota` row (``SELECT ... FOR UPDATE``; SQLite's IMMEDIATE transactions
serialise writers instead), writes one :class:`LedgerEntry` and moves the quota's totals
with ``F()`` expressions. So concurrent reservations by one user are checked one after
the other against up-to-date totals, and the totals always equal the ledger's sums.

A request can be charged to a :class:`Team` the user belongs to (``reserve(..., team=)``):
the money comes from the team's pool (its row locked like a quota), the images still count
against the user's own caps. Locks are always taken team row first, then the user's quota
row, so two requests never wait on each other in opposite orders.

The reserve path is kept to few round trips (it is on every click of "Generate"): one
locking read of the quota that also brings the model's cap, one count of today's images
only when a cap applies, then the hold, its ledger row and the quota's new totals; no
savepoints when the caller already holds a transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from .models import BudgetDefaults, Hold, LedgerEntry, Quota, Team
from .periods import Period, period_end, period_start
from .pools import (
    add_reserved,
    check_money,
    counted_holds,
    in_transaction,
    locked_pools,
    new_hold,
    plus,
)
from .status import ZERO, Reservation

# The ledger's answers, imported from here by its callers.
from .status import BudgetStatus as BudgetStatus
from .status import QuotaExceeded as QuotaExceeded

# --- quotas --------------------------------------------------------------------------


def team_status(team: Team, now: datetime | None = None) -> BudgetStatus:
    """:class:`BudgetStatus` of a team's pool as of ``now`` (reads nothing more)."""
    now = now or timezone.now()
    start = max(team.period_started_at, period_start(team.period, now))
    fresh = start > team.period_started_at
    return BudgetStatus(
        budget_usd=team.budget_usd,
        spent_usd=ZERO if fresh else team.spent_usd,
        reserved_usd=ZERO if fresh else team.reserved_usd,
        period=team.period,
        resets_at=period_end(team.period, start),
        team=team.name,
    )


def status_of(
    quota: Quota, now: datetime | None = None, *, with_images: bool = False
) -> BudgetStatus:
    """:class:`BudgetStatus` of a quota row as of ``now`` (a period that has ended by now
    counts as a fresh one). ``with_images`` adds today's image count (one query)."""
    now = now or timezone.now()
    start = max(quota.period_started_at, period_start(quota.period, now))
    fresh = start > quota.period_started_at
    return BudgetStatus(
        budget_usd=quota.budget_usd,
        spent_usd=ZERO if fresh else quota.spent_usd,
        reserved_usd=ZERO if fresh else quota.reserved_usd,
        period=quota.period,
        resets_at=period_end(quota.period, start),
        images_per_day=quota.images_per_day,
        images_today=images_since(quota.user_id, period_start(Period.DAILY, now))
        if with_images
        else None,
    )


def budget_status(user: Any, now: datetime | None = None) -> BudgetStatus | None:
    """The signed-in ``user``'s :class:`BudgetStatus` (None for anonymous users). Reads only:
    a user without a quota row yet is shown the defaults they will get."""
    if user is None or not user.is_authenticated:
        return None
    now = now or timezone.now()
    quota = Quota.objects.filter(user=user).first()
    if quota is None:
        defaults = BudgetDefaults.objects.filter(pk=1).first() or BudgetDefaults(
            budget_usd=Decimal("5.00")
        )
        quota = Quota(
            user=user,
            budget_usd=defaults.budget_usd,
            period=defaults.period,
            images_per_day=defaults.images_per_day,
            period_started_at=period_start(defaults.period, now),
        )
    return status_of(quota, now, with_images=True)


def images_since(user_id: int, since: datetime) -> int:
    """Images the user asked for since ``since`` that count against daily caps
    (:func:`counted_holds`)."""
    return counted_holds(user_id, since).aggregate(total=Sum("images"))["total"] or 0


# --- reserve / settle / release -----------------------------------------------------------


def reserve(
    user: Any,
    model_id: str,
    amount_usd: Decimal,
    images: int,
    *,
    team: Team | None = None,
    label: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Reservation:
    """Check a request for ``images`` images of ``model_id`` estimated at ``amount_usd``
    (USD, from :func:`~.prices.estimate_cost`) against ``user``'s budget and caps, and hold
    it: a :class:`Hold`, its ``reserve`` ledger row and the quota's reserved total.

    With ``team`` (a team ``user`` belongs to) the money is checked against and held in the
    team's pool instead; ``user``'s own daily image caps (all models and per model) still
    apply, their own money budget does not. Raises :class:`QuotaExceeded` when ``user`` is
    not a member of ``team``.

    ``label`` names the model in the per-model cap's message (default: ``model_id``);
    ``note`` goes on the ledger row. Run it inside the transaction that creates what the
    money is held for: the quota row stays locked until that transaction ends; outside
    one, a transaction of its own is used. ``user`` must be a saved user. Raises
    :class:`QuotaExceeded` before writing anything (the caller's transaction stays usable).
    """
    now = now or timezone.now()
    with in_transaction():
        pool, quota = locked_pools(user, team, model_id, now)
        if pool is not None:
            check_money(team_status(pool, now), amount_usd)
        images_today = _check(
            quota, model_id, label or model_id, amount_usd, images, now, money=pool is None
        )
        payer = pool if pool is not None else quota
        add_reserved(payer, amount_usd, now)
        hold = new_hold(user, pool, model_id, amount_usd, images, payer.period_started_at, note)
    return Reservation(hold, status_after(pool, quota, images_today, images, now))


def status_after(
    pool: Team | None, quota: Quota, images_today: int | None, images: int, now: datetime
) -> BudgetStatus:
    """The budget a reservation of ``images`` images charged, right after it: the team's
    ``pool`` when one paid, else the user's ``quota``, whose count of today's images is
    ``images_today`` (counted before the reservation; None without a daily cap) plus
    ``images``. Reads nothing more."""
    if pool is not None:
        return team_status(pool, now)
    status = status_of(quota, now)
    if images_today is not None:
        status = replace(status, images_today=images_today + images)
    return status


def _check(
    quota: Quota,
    model_id: str,
    label: str,
    amount: Decimal,
    images: int,
    now: datetime,
    *,
    money: bool = True,
) -> int | None:
    """Raise :class:`QuotaExceeded` unless the request fits (its money too, unless ``money``
    is False: a team pays); returns today's images (all models) when the quota has a daily
    cap, else None. ``quota`` carries ``model_limit``."""
    if money:
        check_money(status_of(quota, now), amount)
    model_cap: int | None = getattr(quota, "model_limit", None)
    if quota.images_per_day is None and model_cap is None:
        return None
    used, used_of_model = _images_today(quota.user_id, model_id, now)
    if quota.images_per_day is not None and used + images > quota.images_per_day:
        raise QuotaExceeded(
            f"You can make {quota.images_per_day} images a day and have made {used} today; "
            f"this request makes {images}."
        )
    if model_cap is not None and used_of_model + images > model_cap:
        raise QuotaExceeded(
            f"You can make {model_cap} {label} images a day and have made "
            f"{used_of_model} today; this request makes {images}."
        )
    return used if quota.images_per_day is not None else None


def _images_today(user_id: int, model_id: str, now: datetime) -> tuple[int, int]:
    """(all models, ``model_id`` only): images the user asked for since local midnight that
    count against daily caps (:func:`counted_holds`). One query."""
    totals = counted_holds(user_id, period_start(Period.DAILY, now)).aggregate(
        total=Sum("images"), of_model=Sum("images", filter=Q(model=model_id))
    )
    return totals["total"] or 0, totals["of_model"] or 0


def settle(hold: Hold, actual_usd: Decimal | None) -> LedgerEntry | None:
    """Charge a held request: ``actual_usd`` (USD, as its provider reported it) when given,
    else the estimate held; releases the reservation. Idempotent; None when the hold was
    already settled or released."""
    charged = actual_usd if actual_usd is not None else hold.reserved_usd
    if actual_usd is not None:
        note = "cost reported by the provider"
    else:
        note = "estimate (no cost reported)"
    return _finish(hold, Hold.State.SETTLED, charged, note)


def release(hold: Hold, note: str = "") -> LedgerEntry | None:
    """Return a held request's reservation in full (it failed or was cancelled); ``note``
    says why. Idempotent; None when the hold was already settled or released."""
    return _finish(hold, Hold.State.RELEASED, ZERO, note[:200])


def _finish(hold: Hold, state: str, charged: Decimal, note: str) -> LedgerEntry | None:
    kind = LedgerEntry.Kind.CHARGE if state == Hold.State.SETTLED else LedgerEntry.Kind.REFUND
    # No savepoint: the worker calls this inside its success/failure transaction, and a
    # savepoint's two round trips would lengthen the time the quota row stays locked.
    with transaction.atomic(savepoint=False):
        # The conditional UPDATE decides who finishes the hold: only one caller ever does
        # (a second one waits for the first's commit on the hold's row, then finds it done).
        if not Hold.objects.filter(pk=hold.pk, state=Hold.State.HELD).update(state=state):
            return None
        hold.state = state
        entry = LedgerEntry.objects.create(
            user_id=hold.user_id,
            team_id=hold.team_id,
            hold=hold,
            model=hold.model,
            kind=kind,
            reserved_usd=-hold.reserved_usd,
            charged_usd=charged,
            period_started_at=hold.period_started_at,
            note=note,
        )
        # The pool's totals move in one UPDATE, which locks its row only now, and only
        # while its period is still the hold's (a new period starts from zero).
        pools: QuerySet[Team] | QuerySet[Quota] | None = None
        if hold.team_id is not None:
            pools = Team.objects.filter(pk=hold.team_id)
        elif hold.user_id is not None:  # None: the user was deleted, and their quota with them
            pools = Quota.objects.filter(user_id=hold.user_id)
        if pools is not None:
            pools.filter(period_started_at=hold.period_started_at).update(
                reserved_usd=plus("reserved_usd", -hold.reserved_usd),
                spent_usd=plus("spent_usd", charged),
            )
    return entry
