"""The budgets side of compare: several holds in one all-or-nothing reservation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fluxweb.budgets import maintenance
from fluxweb.budgets import services as budgets
from fluxweb.budgets.batches import HoldRequest, reserve_batch
from fluxweb.budgets.models import Hold, LedgerEntry, Quota
from fluxweb.budgets.teams import create_team
from tests.budget_factories import set_quota

pytestmark = pytest.mark.django_db

SCHNELL = "deepinfra/flux-1-schnell"
DEV = "deepinfra/flux-1-dev"


def requests(*amounts: str, model_id: str = SCHNELL) -> list[HoldRequest]:
    return [HoldRequest(model_id, Decimal(amount), 1) for amount in amounts]


def test_each_request_gets_its_own_hold_and_ledger_row(member):
    set_quota(member, "1.00")
    reservation = reserve_batch(member, requests("0.10", "0.20") + requests("0.30", model_id=DEV))
    assert [h.reserved_usd for h in reservation.holds] == [
        Decimal("0.1"),
        Decimal("0.2"),
        Decimal("0.3"),
    ]
    assert [h.model for h in reservation.holds] == [SCHNELL, SCHNELL, DEV]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RESERVE).count() == 3
    quota = Quota.objects.get(user=member)
    assert quota.reserved_usd == Decimal("0.6")
    assert maintenance.ledger_totals(quota) == (quota.reserved_usd, quota.spent_usd)
    assert reservation.status.remaining_usd == Decimal("0.4")


def test_settling_and_releasing_cells_one_by_one_keeps_the_totals(member):
    set_quota(member, "1.00")
    first, second = reserve_batch(member, requests("0.10", "0.20")).holds
    budgets.release(first, "failed")
    budgets.settle(second, Decimal("0.05"))
    quota = Quota.objects.get(user=member)
    assert (quota.reserved_usd, quota.spent_usd) == (Decimal(0), Decimal("0.05"))
    assert maintenance.ledger_totals(quota) == (quota.reserved_usd, quota.spent_usd)


def test_the_all_models_daily_cap_counts_the_whole_batch(member):
    set_quota(member, "1.00", images_per_day=3)
    with pytest.raises(budgets.QuotaExceeded, match="this comparison makes 4"):
        reserve_batch(member, requests("0.01", "0.01", "0.01", "0.01"))
    assert not Hold.objects.exists()
    assert len(reserve_batch(member, requests("0.01", "0.01", "0.01")).holds) == 3


def test_a_team_pays_for_the_whole_batch_or_none_of_it(member):
    team = create_team("Design", Decimal("0.25"))
    team.members.add(member)
    with pytest.raises(budgets.QuotaExceeded):
        reserve_batch(member, requests("0.10", "0.10", "0.10"), team=team)
    assert not Hold.objects.exists()
    reservation = reserve_batch(member, requests("0.10", "0.10"), team=team)
    team.refresh_from_db()
    assert team.reserved_usd == Decimal("0.2")
    assert {h.team_id for h in reservation.holds} == {team.pk}
    assert reservation.status.team == "Design"


def test_an_empty_batch_is_a_programming_error(member):
    with pytest.raises(ValueError, match="at least one request"):
        reserve_batch(member, [])
