"""A team's shared pool under real concurrency (PostgreSQL only: SQLite serialises all
writers anyway): five members submitting at once against one pool, each thread with its
own connection, real services, committed transactions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from fluxweb.budgets.maintenance import ledger_totals
from fluxweb.budgets.models import Hold, LedgerEntry, Quota, Team
from fluxweb.budgets.services import QuotaExceeded
from fluxweb.budgets.teams import create_team
from fluxweb.generations.models import Generation
from fluxweb.generations.services import submit_generation
from tests.budget_factories import set_price, set_quota, submit_data
from tests.test_budget_concurrency import parallel_threads, run_at_once

pytestmark = pytest.mark.django_db(transaction=True)

SUBMITS = 100
AFFORDABLE = 10
MEMBERS = 5


def test_simultaneous_team_submits_accept_exactly_what_the_pool_covers(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    set_price(usd="0.01")  # per image: the pool covers exactly 10 one-image requests
    team = create_team("Marketing", AFFORDABLE * Decimal("0.01"))
    members = [
        django_user_model.objects.create_user(f"member{n}", password="x") for n in range(MEMBERS)
    ]
    team.members.add(*members)
    for member in members:
        set_quota(member, "0.00", images_per_day=100)  # own budgets empty, caps not in the way

    def submitter(member) -> object:
        def submit() -> str:
            try:
                submit_generation(member, submit_data(team=team))
            except QuotaExceeded:
                return "refused"
            return "accepted"

        return submit

    jobs = [submitter(members[n % MEMBERS]) for n in range(SUBMITS)]
    threads = parallel_threads(SUBMITS, at_least=50)
    assert threads >= 50, f"only {threads} connections free on the server: not a meaningful test"
    outcomes = run_at_once(jobs, threads)  # type: ignore[arg-type]
    print(f"{SUBMITS} team submits on {threads} parallel connections: {dict(outcomes)}")

    assert outcomes == {"accepted": AFFORDABLE, "refused": SUBMITS - AFFORDABLE}, outcomes
    assert Generation.objects.count() == AFFORDABLE == DBTaskResult.objects.count()
    assert Hold.objects.filter(team=team).count() == AFFORDABLE
    assert LedgerEntry.objects.filter(team=team, kind="reserve").count() == AFFORDABLE
    team = Team.objects.get(pk=team.pk)
    assert (team.reserved_usd, team.spent_usd) == (Decimal("0.10"), 0)
    assert ledger_totals(team) == (team.reserved_usd, team.spent_usd)
    for quota in Quota.objects.filter(user__in=members):
        assert (quota.reserved_usd, quota.spent_usd) == (0, 0)
