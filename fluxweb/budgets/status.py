"""What the budgets ledger answers with: a budget's state (:class:`BudgetStatus`), a
refusal (:class:`QuotaExceeded`) and a held request (:class:`Reservation`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from fluxweb.core.money import format_usd

from .models import Hold
from .periods import Period

ZERO = Decimal(0)


class QuotaExceeded(Exception):
    """A request does not fit the user's budget or caps; nothing was reserved.

    ``message`` is a sentence for the user saying what is left and what the request
    needs; ``needed_usd``/``remaining_usd`` are set when money is the reason.
    """

    def __init__(
        self,
        message: str,
        *,
        needed_usd: Decimal | None = None,
        remaining_usd: Decimal | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.needed_usd = needed_usd
        self.remaining_usd = remaining_usd


@dataclass(frozen=True)
class BudgetStatus:
    """A user's budget as of ``now`` (USD), without writing anything.

    ``remaining_usd`` is None when there is no money limit; it can be negative when
    reported costs exceeded the estimates. ``resets_at`` is None for period "none".
    """

    budget_usd: Decimal | None
    spent_usd: Decimal
    reserved_usd: Decimal
    period: str
    resets_at: datetime | None
    images_per_day: int | None = None
    images_today: int | None = None
    team: str = ""  # the team's name when this is a team's pool

    @property
    def used_usd(self) -> Decimal:
        return self.spent_usd + self.reserved_usd

    @property
    def remaining_usd(self) -> Decimal | None:
        return None if self.budget_usd is None else self.budget_usd - self.used_usd

    @property
    def used_fraction(self) -> float:
        """Share of the budget used, 0..1 (for usage bars only; not money)."""
        if not self.budget_usd:
            return 1.0 if self.budget_usd is not None and self.used_usd > 0 else 0.0
        return float(min(Decimal(1), max(ZERO, self.used_usd / self.budget_usd)))

    @property
    def level(self) -> str:
        """How full the budget is, for its bar's colour: ``"danger"`` from 95 % used,
        ``"warn"`` from 80 %, else ``"ok"`` (always ``"ok"`` without a money limit)."""
        if self.budget_usd is None:
            return "ok"
        used = self.used_fraction
        return "danger" if used >= 0.95 else "warn" if used >= 0.8 else "ok"

    @property
    def period_label(self) -> str:
        if self.period == Period.NONE:
            return "budget"
        return f"{Period(self.period).label.split()[0].lower()} budget"

    @property
    def owner_label(self) -> str:
        """Whose budget: "your" or "Marketing's"."""
        return f"{self.team}'s" if self.team else "your"

    def shortfall(self, estimate_usd: Decimal | None) -> str | None:
        """Why a request costing ``estimate_usd`` would be refused for money, or None."""
        remaining = self.remaining_usd
        if (
            estimate_usd is None
            or remaining is None
            or estimate_usd <= 0
            or estimate_usd <= remaining
        ):
            return None
        resets = (
            f" It resets on {timezone.localtime(self.resets_at):%-d %b %Y}."
            if self.resets_at
            else ""
        )
        return (
            f"This request needs {format_usd(estimate_usd)}, "
            f"but only {format_usd(max(remaining, ZERO))} "
            f"of {self.owner_label} {self.period_label} is left.{resets}"
        )


@dataclass(frozen=True)
class Reservation:
    """What :func:`reserve` held: the :class:`Hold`, and ``status``, the budget charged
    (the user's, or the team's) right after it (this request included), so callers can show
    what is left without reading it again."""

    hold: Hold
    status: BudgetStatus
