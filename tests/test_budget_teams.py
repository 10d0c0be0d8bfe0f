"""Teams with a shared budget: reserve → settle → release against the team's pool, the
member's own caps still apply, and the ledger says which pool paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fluxweb.budgets import maintenance
from fluxweb.budgets import services as budgets
from fluxweb.budgets.models import Hold, LedgerEntry, Quota, Team
from fluxweb.budgets.teams import create_team, teams_of
from fluxweb.generations.services import submit
from tests.budget_factories import DEMO, set_price, set_quota, submit_data

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


@pytest.fixture
def team(member) -> Team:
    team = create_team("Marketing", Decimal("0.05"))
    team.members.add(member)
    return team


def pool(team: Team) -> tuple[Decimal, Decimal]:
    """(reserved, spent) on the team row, after checking they equal the ledger's sums."""
    team.refresh_from_db()
    assert maintenance.ledger_totals(team) == (team.reserved_usd, team.spent_usd)
    return team.reserved_usd, team.spent_usd


def own(user) -> tuple[Decimal, Decimal]:
    quota = Quota.objects.get(user=user)
    assert maintenance.ledger_totals(quota) == (quota.reserved_usd, quota.spent_usd)
    return quota.reserved_usd, quota.spent_usd


def test_team_reserve_settle_release_move_the_team_pool_only(member, team):
    set_quota(member, "0.00")  # the member's own budget is empty: the team pays
    first = budgets.reserve(member, DEMO, CENT, 1, team=team)
    second = budgets.reserve(member, DEMO, CENT, 1, team=team)
    assert first.hold.team == team and first.status.team == "Marketing"
    assert first.status.remaining_usd == Decimal("0.04")
    assert pool(team) == (2 * CENT, 0)

    budgets.settle(first.hold, Decimal("0.008"))
    budgets.release(second.hold, "failed")
    assert pool(team) == (0, Decimal("0.008"))
    assert own(member) == (0, 0)
    entries = LedgerEntry.objects.filter(hold__in=[first.hold, second.hold])
    assert {(e.kind, e.team_id, e.user_id) for e in entries} == {
        ("reserve", team.pk, member.pk),
        ("charge", team.pk, member.pk),
        ("refund", team.pk, member.pk),
    }


def test_team_budget_refuses_what_it_cannot_cover(member, team):
    set_quota(member, "10.00")
    for _ in range(5):
        budgets.reserve(member, DEMO, CENT, 1, team=team)
    with pytest.raises(budgets.QuotaExceeded) as refused:
        budgets.reserve(member, DEMO, CENT, 1, team=team)
    assert "Marketing's" in refused.value.message
    assert Hold.objects.filter(team=team).count() == 5
    # The member's own budget is still there.
    budgets.reserve(member, DEMO, CENT, 1)
    assert own(member) == (CENT, 0)


def test_team_charge_still_counts_against_the_members_own_caps(member, team):
    set_quota(member, "10.00", images_per_day=2)
    budgets.reserve(member, DEMO, 0, 1)  # own budget
    budgets.reserve(member, DEMO, 0, 1, team=team)
    with pytest.raises(budgets.QuotaExceeded, match="2 images a day"):
        budgets.reserve(member, DEMO, 0, 1, team=team)


def test_team_charge_respects_a_per_model_cap(member, team):
    quota = set_quota(member, "10.00")
    quota.model_limits.create(model_id=DEMO, images_per_day=1)
    budgets.reserve(member, DEMO, 0, 1, team=team)
    with pytest.raises(budgets.QuotaExceeded, match="1 "):
        budgets.reserve(member, DEMO, 0, 1, team=team)


def test_only_members_can_charge_a_team(member, alice, team):
    with pytest.raises(budgets.QuotaExceeded, match="not a member"):
        budgets.reserve(alice, DEMO, CENT, 1, team=team)
    assert not Hold.objects.exists()
    assert list(teams_of(member)) == [team] and not teams_of(alice).exists()


def test_submit_passes_the_chosen_team_to_the_ledger(member, team):
    set_price(usd="0.01")
    set_quota(member, "0.00")
    submission = submit(member, submit_data(team=team))
    assert submission.generation.hold.team == team
    assert submission.budget.team == "Marketing"
    with pytest.raises(budgets.QuotaExceeded):
        submit(member, submit_data())  # own budget: empty


def test_recompute_repairs_a_team_pool(member, team):
    budgets.reserve(member, DEMO, CENT, 1, team=team)
    Team.objects.filter(pk=team.pk).update(reserved_usd=Decimal("0.5"))
    assert maintenance.recompute(team) is True
    assert pool(team) == (CENT, 0)
