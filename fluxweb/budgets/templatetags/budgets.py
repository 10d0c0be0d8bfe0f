"""Template helpers for budgets: ``money`` and the member's budget under the estimate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from fluxweb.core.money import format_usd

from ..models import Team
from ..services import BudgetStatus, budget_status, team_status
from ..teams import teams_of

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """USD as :func:`fluxweb.core.money.format_usd` shows it (the one money format)."""
    return format_usd(value)


@register.filter
def percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}"


@register.inclusion_tag("budgets/_budget_line.html", takes_context=True)
def budget_line(
    context: dict[str, Any],
    form: Any,
    estimate: Decimal | str | None,
    known: BudgetStatus | str | None = None,
) -> dict[str, Any]:
    """What the signed-in member has left, and why the request would not fit if it would
    not. ``estimate`` is the bound form's estimate (USD); an unbound form's initial one is
    used when it is missing. ``known``: a :class:`BudgetStatus` the caller already has
    (e.g. right after a reservation); without one it is read (two queries)."""
    if not isinstance(estimate, Decimal):
        estimate = None if form.is_bound else form.initial_estimate
    user = getattr(context.get("request"), "user", None)
    if isinstance(known, BudgetStatus):
        status: BudgetStatus | None = known
    else:
        team = _chosen_team(form, user)
        status = team_status(team) if team else budget_status(user)
    return {"budget": status, "shortfall": status.shortfall(estimate) if status else None}


def _chosen_team(form: Any, user: Any) -> Team | None:
    """The team the form charges, when the user is one of its members."""
    name = form["team"].value() if "team" in getattr(form, "fields", {}) else None
    if not name:
        return None
    # Matched in Python, not in SQL: the raw value may hold what a query refuses (a NUL byte).
    return next((team for team in teams_of(user) if team.name == name), None)


@register.inclusion_tag("budgets/_charge_to.html", takes_context=True)
def charge_to(context: dict[str, Any], form: Any) -> dict[str, Any]:
    """The generation form's "Charge to" select: the member's own budget or one of their
    teams' (each with what it has left); nothing for a member of no team. Rendered inside
    the estimate, so full pages (which defer the estimate) spend no query on it."""
    if context.get("budget_now") and form.is_bound and "team" not in form.data:
        # A submit's answer, from a page that showed no "Charge to": the member is in no
        # team, and the submit path spends no query to say so again.
        return {"form": form, "options": [], "chosen": ""}
    user = getattr(context.get("request"), "user", None)
    teams = list(teams_of(user))
    chosen = form["team"].value() if "team" in getattr(form, "fields", {}) else None
    options = [(team.name, team_status(team)) for team in teams]
    return {"form": form, "options": options, "chosen": chosen or ""}
