"""What admins set on members and teams, beyond :mod:`.services`' budget operations:
teams (their pools live in the ledger like quotas), per-model caps checked against the
enabled models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import Quota, QuotaModelLimit, Team, enabled_model_ids
from .periods import Period, period_start
from .status import ZERO


def teams_of(user: Any) -> QuerySet[Team]:
    """The teams ``user`` belongs to, by name (none for anonymous users)."""
    if user is None or not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(members=user).order_by("name")


def create_team(
    name: str, budget_usd: Decimal | None, period: str = Period.MONTHLY, now: datetime | None = None
) -> Team:
    """A new team with an empty pool whose first period contains ``now``."""
    now = now or timezone.now()
    return Team.objects.create(
        name=name, budget_usd=budget_usd, period=period, period_started_at=period_start(period, now)
    )


def reset_team_period(teams: Iterable[Team], now: datetime | None = None) -> int:
    """:func:`reset_period` for teams' pools."""
    now = now or timezone.now()
    return Team.objects.filter(pk__in=[t.pk for t in teams]).update(
        period_started_at=now, reserved_usd=ZERO, spent_usd=ZERO
    )


class UnknownModel(ValueError):
    """A per-model cap names a model id that is not enabled."""


def set_model_limit(quota: Quota, model_id: str, images_per_day: int) -> QuotaModelLimit:
    """Cap ``quota``'s user at ``images_per_day`` images of ``model_id`` a day (creates or
    replaces the cap). Raises :class:`UnknownModel` unless ``model_id`` is an enabled
    model's id, ValueError for a negative number."""
    if model_id not in enabled_model_ids():
        raise UnknownModel(f"Unknown model {model_id!r}: choose an enabled model.")
    if images_per_day < 0:
        raise ValueError("images_per_day must not be negative")
    limit, _ = QuotaModelLimit.objects.update_or_create(
        quota=quota, model_id=model_id, defaults={"images_per_day": images_per_day}
    )
    return limit
