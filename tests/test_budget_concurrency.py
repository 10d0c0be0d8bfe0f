"""Budgets under real concurrency: threads, each with its own database connection,
calling the real services at the same moment (no mocks, committed transactions)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from fluxweb.budgets.maintenance import ledger_totals
from fluxweb.budgets.models import LedgerEntry, Quota
from fluxweb.budgets.services import QuotaExceeded
from fluxweb.generations.models import Generation
from fluxweb.generations.running import fail_generation
from fluxweb.generations.services import submit_generation
from tests.budget_factories import set_price, set_quota, submit_data

pytestmark = pytest.mark.django_db(transaction=True)

SUBMITS = 100
AFFORDABLE = 10


def parallel_threads(wanted: int, at_least: int = 1, wait: float = 60.0) -> int:
    """How many threads may each hold a connection at once. SQLite: any number. PostgreSQL:
    ``wanted``, or fewer if the server's ``max_connections`` (default 100, shared with this
    test's own connection and whatever else runs on the server) would not fit them, keeping
    a margin of 5. The jobs are then shared out, so all of them still run. While other
    clients hold so many connections that fewer than ``at_least`` are free, waits for them
    (up to ``wait`` seconds) rather than measuring a momentary peak."""
    if connection.vendor != "postgresql":
        return wanted
    deadline = time.monotonic() + wait
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend'"
            )
            (free,) = cursor.fetchone()
        threads = max(1, min(wanted, free - 5))
        if threads >= at_least or time.monotonic() > deadline:
            return threads
        time.sleep(1)


def run_at_once(jobs: list[Callable[[], str]], threads: int) -> Counter[str]:
    """Run ``jobs`` on ``threads`` threads that each open their own connection first and
    then start together (a barrier); returns how many jobs returned each outcome."""
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)
    shares = [jobs[index::threads] for index in range(threads)]

    def work(share: list[Callable[[], str]]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            for job in share:
                try:
                    outcome = job()
                except Exception as exc:  # surfaced in the assertion on outcomes
                    outcome = f"error: {exc!r}"
                with lock:
                    outcomes.append(outcome)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return Counter(outcomes)


def test_simultaneous_submits_accept_exactly_what_the_budget_covers(member):
    set_price(usd="0.01")  # per image, so the budget covers exactly 10 one-image requests
    set_quota(member, f"{AFFORDABLE * Decimal('0.01')}")
    data = submit_data()

    def submit() -> str:
        try:
            submit_generation(member, data)
        except QuotaExceeded:
            return "refused"
        return "accepted"

    threads = parallel_threads(SUBMITS, at_least=50)
    if connection.vendor == "postgresql":
        assert threads >= 50, (
            f"only {threads} connections free on the server: not a meaningful test"
        )
    outcomes = run_at_once([submit] * SUBMITS, threads)
    print(
        f"{SUBMITS} submits on {threads} parallel connections ({connection.vendor}): "
        f"{dict(outcomes)}"
    )

    assert outcomes == {"accepted": AFFORDABLE, "refused": SUBMITS - AFFORDABLE}, outcomes
    assert Generation.objects.filter(author=member).count() == AFFORDABLE
    assert DBTaskResult.objects.count() == AFFORDABLE  # only accepted ones were enqueued
    reservations = LedgerEntry.objects.filter(user=member, kind="reserve")
    assert reservations.count() == AFFORDABLE
    assert set(reservations.values_list("hold", flat=True)) == set(
        Generation.objects.values_list("hold", flat=True)
    )
    quota = Quota.objects.get(user=member)
    assert quota.reserved_usd == Decimal("0.10") and quota.spent_usd == 0
    assert ledger_totals(quota) == (quota.reserved_usd, quota.spent_usd)


def test_racing_failures_refund_each_reservation_once(member):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generations = [submit_generation(member, submit_data()) for _ in range(10)]

    def failer(generation: Generation, who: str) -> Callable[[], str]:
        def fail() -> str:
            # Each thread works on its own instance, as separate processes would.
            return (
                "failed"
                if fail_generation(Generation.objects.get(pk=generation.pk), who)
                else "already"
            )

        return fail

    jobs = [failer(g, who) for g in generations for who in ("worker", "sweep", "cancel")]
    outcomes = run_at_once(jobs, parallel_threads(len(jobs)))

    assert outcomes == {"failed": 10, "already": 20}, outcomes
    assert LedgerEntry.objects.filter(kind="refund").count() == 10
    quota = Quota.objects.get(user=member)
    assert (quota.reserved_usd, quota.spent_usd) == (0, 0)
    assert ledger_totals(quota) == (0, 0)
