"""Template helpers for budgets: ``money`` and the member's budget under the estimate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from fluxweb.core.money import format_usd

from ..services import BudgetStatus, budget_status

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """Exact USD, see :func:`fluxweb.core.money.format_usd`."""
    return format_usd(value)


@register.filter
def percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}"


@register.inclusion_tag("budgets/_budget_line.html", takes_context=True)
def budget_line(
    context: dict[str, Any], form: Any, estimate: Decimal | str | None, known: BudgetStatus | str | None = None
) -> dict[str, Any]:
    """What the signed-in member has left, and why the request would not fit if it would
    not. ``estimate`` is the bound form's estimate (USD); an unbound form's initial one is
    used when it is missing. ``known``: a :class:`BudgetStatus` the caller already has
    (e.g. right after a reservation); without one it is read (two queries)."""
    if not isinstance(estimate, Decimal):
        estimate = None if form.is_bound else form.initial_estimate
    request = context.get("request")
    status = known if isinstance(known, BudgetStatus) else budget_status(getattr(request, "user", None))
    return {"budget": status, "shortfall": status.shortfall(estimate) if status else None}
