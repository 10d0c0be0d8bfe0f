"""Budget periods: where the current one began and when it ends, in the site's time zone
(``TIME_ZONE``), so "monthly" means a calendar month where the team lives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import models
from django.utils import timezone

# The start of a period that never resets on its own ("none").
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Period(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    WEEKLY = "weekly", "Weekly (from Monday)"
    DAILY = "daily", "Daily"
    NONE = "none", "No reset (a fixed allowance)"


def period_start(period: str, now: datetime) -> datetime:
    """The aware datetime at which the ``period`` containing ``now`` began.

    Daily: local midnight; weekly: Monday's midnight; monthly: the 1st's midnight;
    none: :data:`EPOCH` (so it never rolls over by itself).
    """
    if period == Period.NONE:
        return EPOCH
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == Period.DAILY:
        start = midnight
    elif period == Period.WEEKLY:
        start = midnight - timedelta(days=local.weekday())
    else:
        start = midnight.replace(day=1)
    # Re-localise: arithmetic across a DST change keeps the old UTC offset.
    return timezone.make_aware(start.replace(tzinfo=None))


def period_end(period: str, start: datetime) -> datetime | None:
    """When the period that began at ``start`` ends (the next one's start); None for none."""
    if period == Period.NONE:
        return None
    # Measured from the natural start, so a period reset mid-week still ends on Monday.
    natural = timezone.localtime(period_start(period, start)).replace(tzinfo=None)
    if period == Period.DAILY:
        end = natural + timedelta(days=1)
    elif period == Period.WEEKLY:
        end = natural + timedelta(days=7)
    else:
        end = (natural + timedelta(days=32)).replace(day=1)
    return timezone.make_aware(end)
