"""Usage reports: spend per user, per team and per model per day, totals, estimate vs actual.

All money comes from the ledger (``charged_usd`` is what was spent, ``reserved_usd`` what
is still held), except estimate-vs-actual, which compares each succeeded generation's
estimate with the cost its provider reported. Days are local dates (``TIME_ZONE``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from fluxweb.budgets.models import LedgerEntry
from fluxweb.generations.models import Generation

ZERO = Decimal(0)
PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class UsageFilter:
    """Which ledger rows a report covers: local dates ``start``..``end`` inclusive,
    optionally one user (id), one model id and one team (id; 0: charged to no team)."""

    start: date
    end: date
    user_id: int | None = None
    model: str = ""
    team_id: int | None = None

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def entries(self) -> QuerySet[LedgerEntry]:
        rows = LedgerEntry.objects.filter(created_at__gte=self.since, created_at__lt=self.until)
        if self.user_id is not None:
            rows = rows.filter(user_id=self.user_id)
        if self.model:
            rows = rows.filter(model=self.model)
        if self.team_id:
            rows = rows.filter(team_id=self.team_id)
        elif self.team_id == 0:  # own budgets only
            rows = rows.filter(team_id__isnull=True)
        return rows

    def generations(self) -> QuerySet[Generation]:
        rows = Generation.objects.filter(created_at__gte=self.since, created_at__lt=self.until)
        if self.user_id is not None:
            rows = rows.filter(author_id=self.user_id)
        if self.model:
            rows = rows.filter(model=self.model)
        if self.team_id:
            rows = rows.filter(hold__team_id=self.team_id)
        elif self.team_id == 0:  # own budgets only
            rows = rows.filter(hold__team_id__isnull=True)
        return rows


@dataclass
class Totals:
    """One row of a totals table (USD)."""

    name: str
    spent_usd: Decimal = ZERO
    reserved_usd: Decimal = ZERO
    charges: int = 0
    refunds: int = 0


@dataclass
class EstimateVsActual:
    """Succeeded generations of one model: estimates against reported costs (USD)."""

    model: str
    generations: int
    estimated_usd: Decimal
    reported: int  # how many had a provider-reported cost
    estimated_of_reported_usd: Decimal
    actual_usd: Decimal

    @property
    def difference_percent(self) -> Decimal | None:
        """How far actual costs were from their estimates, in percent (None if unknown)."""
        if not self.reported or not self.estimated_of_reported_usd:
            return None
        return (
            (self.actual_usd - self.estimated_of_reported_usd)
            / self.estimated_of_reported_usd
            * 100
        ).quantize(Decimal("0.1"))


@dataclass
class UsageReport:
    """Everything the usage page shows for one :class:`UsageFilter`."""

    filter: UsageFilter
    spend_by_user: dict[str, dict[date, Decimal]] = field(default_factory=dict)
    spend_by_model: dict[str, dict[date, Decimal]] = field(default_factory=dict)
    users: list[Totals] = field(default_factory=list)
    teams: list[Totals] = field(default_factory=list)  # "own budget" for rows of no team
    models: list[Totals] = field(default_factory=list)
    estimates: list[EstimateVsActual] = field(default_factory=list)

    @property
    def total_spent_usd(self) -> Decimal:
        return sum((row.spent_usd for row in self.users), ZERO)

    @property
    def total_reserved_usd(self) -> Decimal:
        return sum((row.reserved_usd for row in self.users), ZERO)


def _money(value: Any) -> Decimal:
    return (Decimal(value or 0)).quantize(PLACES) + ZERO


def _username(values: Mapping[str, Any]) -> str:
    return values.get("user__username") or "deleted user"


OWN_BUDGET = "(own budgets)"


def _team_name(values: Mapping[str, Any]) -> str:
    return values.get("team__name") or OWN_BUDGET


def build_report(usage: UsageFilter) -> UsageReport:
    """Aggregate the ledger and generations for ``usage`` (a handful of grouped queries)."""
    report = UsageReport(usage)
    entries = usage.entries()
    daily = entries.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))

    by_user: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in daily.values("day", "user__username").annotate(spent=Sum("charged_usd")).order_by():
        by_user[_username(row)][row["day"]] = _money(row["spent"])
    by_model: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for model_row in daily.values("day", "model").annotate(spent=Sum("charged_usd")).order_by():
        by_model[model_row["model"]][model_row["day"]] = _money(model_row["spent"])
    report.spend_by_user, report.spend_by_model = (
        dict(sorted(by_user.items())),
        dict(sorted(by_model.items())),
    )

    sums = {
        "spent": Sum("charged_usd"),
        "reserved": Sum("reserved_usd"),
        "charges": Count("id", filter=Q(kind=LedgerEntry.Kind.CHARGE)),
        "refunds": Count("id", filter=Q(kind=LedgerEntry.Kind.REFUND)),
    }
    groups = (
        ("user__username", report.users, _username),
        ("team__name", report.teams, _team_name),
        ("model", report.models, None),
    )
    for key, target, name in groups:
        for totals in entries.values(key).annotate(**sums).order_by(key):
            target.append(
                Totals(
                    name=name(totals) if name else totals[key],
                    spent_usd=_money(totals["spent"]),
                    reserved_usd=_money(totals["reserved"]),
                    charges=totals["charges"],
                    refunds=totals["refunds"],
                )
            )

    succeeded = usage.generations().filter(status=Generation.Status.SUCCEEDED)
    reported = Q(actual_cost_usd__isnull=False)
    for model_costs in (
        succeeded.values("model")
        .annotate(
            generations=Count("id"),
            estimated=Sum("estimated_cost_usd"),
            reported=Count("id", filter=reported),
            estimated_of_reported=Sum("estimated_cost_usd", filter=reported),
            actual=Sum("actual_cost_usd"),
        )
        .order_by("model")
    ):
        report.estimates.append(
            EstimateVsActual(
                model=model_costs["model"],
                generations=model_costs["generations"],
                estimated_usd=_money(model_costs["estimated"]),
                reported=model_costs["reported"],
                estimated_of_reported_usd=_money(model_costs["estimated_of_reported"]),
                actual_usd=_money(model_costs["actual"]),
            )
        )
    return report


CSV_HEADER = [
    "created_at",
    "user",
    "model",
    "kind",
    "generation_id",
    "reserved_usd",
    "charged_usd",
    "period_started_at",
    "note",
    "team",  # team: the team's pool charged, blank for the user's own
]


def csv_rows(usage: UsageFilter) -> Any:
    """The ledger rows of ``usage`` for CSV export, oldest first, header first."""
    yield CSV_HEADER
    # The generation each row was for, through its hold (None: an anonymous or deleted one).
    entries = usage.entries().select_related("user", "team")
    entries = entries.annotate(generation_id=F("hold__generation"))
    for entry in entries.order_by("created_at", "id").iterator():
        yield [
            entry.created_at.isoformat(),
            entry.user.get_username() if entry.user else "",
            entry.model,
            entry.kind,
            entry.generation_id or "",
            f"{entry.reserved_usd:f}",
            f"{entry.charged_usd:f}",
            entry.period_started_at.isoformat(),
            entry.note,
            entry.team.name if entry.team else "",
        ]
