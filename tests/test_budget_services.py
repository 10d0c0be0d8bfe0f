"""Reserve on submit, settle on success, refund on failure, caps and periods."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fluxweb.budgets import maintenance
from fluxweb.budgets import services as budgets
from fluxweb.budgets.models import (
    BudgetDefaults,
    DefaultModelLimit,
    Hold,
    LedgerEntry,
    Quota,
    QuotaModelLimit,
)
from fluxweb.budgets.periods import Period
from fluxweb.budgets.prices import estimate_cost
from fluxweb.generations.models import Generation
from fluxweb.generations.running import fail_generation, run_generation
from fluxweb.generations.services import delete_generation, submit_generation
from tests.budget_factories import set_price, set_quota, submit_data

pytestmark = pytest.mark.django_db


def balances(user) -> tuple[Decimal, Decimal]:
    """(reserved, spent) on the quota row, after checking they equal the ledger's sums."""
    quota = Quota.objects.get(user=user)
    assert maintenance.ledger_totals(quota) == (quota.reserved_usd, quota.spent_usd)
    return quota.reserved_usd, quota.spent_usd


def test_submit_reserves_the_estimate_and_records_it(member):
    set_price(usd="0.01")
    set_quota(member, "0.10")
    generation = submit_generation(member, submit_data(num_images=2))
    assert generation.estimated_cost_usd == Decimal("0.02")
    (entry,) = LedgerEntry.objects.all()
    assert (entry.kind, entry.hold, entry.user, entry.model) == (
        "reserve",
        generation.hold,
        member,
        "demo/placeholder",
    )
    hold = generation.hold
    assert (hold.user, hold.model, hold.images, hold.reserved_usd, hold.state) == (
        member,
        "demo/placeholder",
        2,
        Decimal("0.02"),
        Hold.State.HELD,
    )
    assert entry.reserved_usd == Decimal("0.02") and entry.charged_usd == 0
    assert balances(member) == (Decimal("0.02"), 0)


def test_submit_prices_from_the_table_row_or_else_the_provider_default(member):
    from fluxweb.budgets.models import ModelPrice
    from fluxweb.providers.registry import get_registry

    set_quota(member, None)
    set_price(usd="0.5")  # per image, for the demo model
    data = submit_data(num_images=2)
    assert submit_generation(member, data).estimated_cost_usd == Decimal("1.0")
    ModelPrice.objects.filter(model_id="demo/placeholder").delete()
    default = (
        get_registry().model("demo/placeholder").price.estimate(256, 256, 4, 2)
    )  # the demo is free
    assert submit_generation(member, data).estimated_cost_usd == default != Decimal("1.0")
    assert balances(member) == (Decimal("1.0") + default, 0)


def test_over_budget_raises_says_why_and_creates_nothing(
    member, django_capture_on_commit_callbacks
):
    set_price(usd="0.04")
    set_quota(member, "0.10")
    with django_capture_on_commit_callbacks(execute=True):
        submit_generation(member, submit_data(num_images=2))  # $0.08 of $0.10
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(budgets.QuotaExceeded) as raised,
    ):
        submit_generation(member, submit_data(num_images=1))  # $0.04 > $0.02 left
    assert raised.value.needed_usd == Decimal("0.04") and raised.value.remaining_usd == Decimal(
        "0.02"
    )
    assert "needs $0.04" in raised.value.message and "$0.02" in raised.value.message
    assert callbacks == []
    assert Generation.objects.count() == 1 and DBTaskResult.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert balances(member) == (Decimal("0.08"), 0)


def test_a_request_that_exactly_uses_up_the_budget_is_accepted(member):
    set_price(usd="0.05")
    set_quota(member, "0.10")
    submit_generation(member, submit_data(num_images=2))
    assert balances(member) == (Decimal("0.10"), 0)


def test_free_requests_pass_even_when_the_budget_is_spent(member):
    set_quota(member, "0.00")
    generation = submit_generation(member, submit_data())
    assert generation.estimated_cost_usd == 0


def test_no_money_limit_when_budget_is_blank(member):
    set_price(usd="100")
    set_quota(member, None)
    submit_generation(member, submit_data(num_images=4))
    assert balances(member) == (Decimal("400"), 0)


def test_success_charges_the_estimate_when_no_cost_is_reported(member):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generation = submit_generation(member, submit_data())
    run_generation(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "succeeded" and generation.actual_cost_usd is None
    charge = LedgerEntry.objects.get(hold=generation.hold, kind="charge")
    assert (charge.reserved_usd, charge.charged_usd) == (Decimal("-0.01"), Decimal("0.01"))
    assert balances(member) == (0, Decimal("0.01"))


def test_settle_uses_the_reported_cost(member):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generation = submit_generation(member, submit_data())
    generation.mark_running()
    generation.mark_succeeded(seed=1, actual_cost_usd=Decimal("0.0125"), metadata={})
    assert budgets.settle(generation.hold, generation.actual_cost_usd) is not None
    assert budgets.settle(generation.hold, generation.actual_cost_usd) is None  # once only
    assert budgets.release(generation.hold) is None  # and never refunded after
    assert Hold.objects.get(pk=generation.hold_id).state == Hold.State.SETTLED
    assert balances(member) == (0, Decimal("0.0125"))


def test_failure_refunds_once_whoever_fails_it(member):
    set_price(usd="0.03")
    set_quota(member, "0.10")
    generation = submit_generation(member, submit_data())
    assert fail_generation(generation, "the provider rejected the API key")
    assert not fail_generation(generation, "the sweep also thinks it is stuck")
    assert budgets.release(generation.hold, "again") is None
    refund = LedgerEntry.objects.get(hold=generation.hold, kind="refund")
    assert refund.reserved_usd == Decimal("-0.03") and refund.charged_usd == 0
    assert "API key" in refund.note
    assert balances(member) == (0, 0)


def test_provider_failure_in_the_worker_returns_the_reservation(member, settings):
    set_price(model_id="deepinfra/flux-1-schnell", usd="0.0005", basis="pixel_step")
    settings.DEEPINFRA_API_KEY = "key"
    settings.DEEPINFRA_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    settings.FLUXWEB_PROVIDER_ATTEMPTS = 1
    set_quota(member, "1.00")
    generation = submit_generation(
        member, submit_data("deepinfra/flux-1-schnell", width=1024, height=1024)
    )
    assert balances(member) == (Decimal("0.002"), 0)
    run_generation(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "failed"
    assert balances(member) == (0, 0)


def test_a_succeeded_generation_is_not_refunded(member):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generation = submit_generation(member, submit_data())
    run_generation(generation.pk)
    assert not fail_generation(generation, "late sweep")
    assert not LedgerEntry.objects.filter(kind="refund").exists()
    assert balances(member) == (0, Decimal("0.01"))


def test_generations_without_reservation_settle_and_refund_nothing(member):
    from tests.factories import make_generation

    generation = make_generation(member)
    assert fail_generation(generation, "boom")
    assert not LedgerEntry.objects.exists()


def test_the_ledger_holds_settles_and_releases_without_any_generation(member):
    set_quota(member, "0.10", images_per_day=3)
    with pytest.raises(budgets.QuotaExceeded, match="needs \\$0.11"):
        budgets.reserve(member, "some/model", Decimal("0.11"), 1)
    assert not Hold.objects.exists() and not LedgerEntry.objects.exists()  # nothing written
    first = budgets.reserve(member, "some/model", Decimal("0.04"), 1, note="one image")
    second = budgets.reserve(member, "some/model", Decimal("0.05"), 2)
    assert second.status.remaining_usd == Decimal("0.01") and second.status.images_today == 3
    assert balances(member) == (Decimal("0.09"), 0)
    charge = budgets.settle(first.hold, None)  # no reported cost: the estimate is charged
    assert (charge.kind, charge.reserved_usd, charge.charged_usd) == (
        "charge",
        Decimal("-0.04"),
        Decimal("0.04"),
    )
    refund = budgets.release(second.hold, "cancelled")
    assert (refund.kind, refund.reserved_usd, refund.charged_usd) == ("refund", Decimal("-0.05"), 0)
    assert budgets.release(second.hold) is None and budgets.settle(second.hold, Decimal(1)) is None
    assert balances(member) == (0, Decimal("0.04"))
    assert budgets.budget_status(member).images_today == 1  # released images come back


def test_the_budgets_app_does_not_import_generations_or_usage():
    import ast
    from pathlib import Path

    import fluxweb.budgets

    root = Path(fluxweb.budgets.__file__).parent
    imported = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue  # history: the ledger used to point at generations
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    higher = {
        name
        for name in imported
        if name.startswith(("fluxweb.generations", "fluxweb.usage", "fluxweb.team"))
    }
    assert imported and not higher


def test_images_per_day_cap(member):
    set_quota(member, None, images_per_day=3)
    submit_generation(member, submit_data(num_images=2))
    with pytest.raises(
        budgets.QuotaExceeded, match="3 images a day and have made 2 today; this request makes 2"
    ):
        submit_generation(member, submit_data(num_images=2))
    submit_generation(member, submit_data(num_images=1))


def test_deleting_a_generation_does_not_give_its_images_back(member):
    set_quota(member, None, images_per_day=2)
    first = submit_generation(member, submit_data())
    submit_generation(member, submit_data())
    run_generation(first.pk)  # made and charged: deleting it later must not give it back
    first.refresh_from_db()
    assert first.status == Generation.Status.SUCCEEDED
    delete_generation(first)
    assert budgets.budget_status(member).images_today == 2
    with pytest.raises(budgets.QuotaExceeded, match="2 images a day and have made 2 today"):
        submit_generation(member, submit_data())
    assert Generation.objects.count() == 1


def test_failed_generations_do_not_count_against_image_caps(member):
    set_quota(member, None, images_per_day=2)
    fail_generation(submit_generation(member, submit_data(num_images=2)), "boom")
    submit_generation(member, submit_data(num_images=2))


def test_per_model_daily_limit(member, settings):
    settings.DEEPINFRA_API_KEY = "key"
    quota = set_quota(member, None)
    QuotaModelLimit.objects.create(quota=quota, model_id="deepinfra/flux-1-dev", images_per_day=2)
    submit_generation(member, submit_data("deepinfra/flux-1-dev", num_images=2))
    with pytest.raises(budgets.QuotaExceeded, match=r"2 FLUX.1 \[dev\] · DeepInfra images a day"):
        submit_generation(member, submit_data("deepinfra/flux-1-dev"))
    submit_generation(
        member, submit_data("deepinfra/flux-1-schnell", num_images=4)
    )  # other models are free of it


def test_new_users_get_the_defaults_and_their_model_limits(django_user_model):
    defaults = BudgetDefaults.load()
    defaults.budget_usd, defaults.period, defaults.images_per_day = (
        Decimal("2.50"),
        Period.WEEKLY,
        20,
    )
    defaults.save()
    DefaultModelLimit.objects.create(
        defaults=defaults, model_id="deepinfra/flux-1-dev", images_per_day=5
    )
    user = django_user_model.objects.create_user("carol", password="carol-password-123")
    quota = Quota.objects.get(user=user)
    assert (quota.budget_usd, quota.period, quota.images_per_day) == (Decimal("2.50"), "weekly", 20)
    assert [(m.model_id, m.images_per_day) for m in quota.model_limits.all()] == [
        ("deepinfra/flux-1-dev", 5)
    ]


def test_a_new_period_starts_from_zero(member):
    set_price(usd="0.06")
    quota = set_quota(member, "0.10", period=Period.MONTHLY)
    july = timezone.make_aware(datetime(2026, 7, 20, 12))
    quota.period_started_at = timezone.make_aware(datetime(2026, 7, 1))
    quota.save()
    spec = submit_data()["model"]
    cost = estimate_cost(spec, 256, 256, 4, 1)
    budgets.reserve(member, spec.id, cost, 1, now=july)
    august = july + timedelta(days=15)
    with pytest.raises(budgets.QuotaExceeded):
        budgets.reserve(member, spec.id, cost, 1, now=july)
    budgets.reserve(member, spec.id, cost, 1, now=august)
    quota.refresh_from_db()
    assert quota.period_started_at == timezone.make_aware(datetime(2026, 8, 1))
    assert quota.reserved_usd == Decimal("0.06")
    assert maintenance.ledger_totals(quota) == (Decimal("0.06"), 0)


def test_reset_period_and_set_budget(member):
    set_price(usd="0.05")
    quota = set_quota(member, "0.10")
    submit_generation(member, submit_data(num_images=2))
    with pytest.raises(budgets.QuotaExceeded):
        submit_generation(member, submit_data())
    maintenance.reset_period([quota])
    submit_generation(member, submit_data())
    maintenance.set_budget([quota], Decimal("0.05"), Period.DAILY)
    quota.refresh_from_db()
    assert (quota.budget_usd, quota.period) == (Decimal("0.05"), "daily")


def test_recompute_repairs_totals_from_the_ledger(member):
    set_price(usd="0.01")
    quota = set_quota(member, "1.00")
    submit_generation(member, submit_data(num_images=3))
    Quota.objects.filter(pk=quota.pk).update(reserved_usd=Decimal("9"))
    assert maintenance.recompute(quota)
    assert balances(member) == (Decimal("0.03"), 0)
    assert not maintenance.recompute(quota)


def test_status_shows_what_is_left_without_writing(member):
    set_price(usd="0.04")
    set_quota(member, "0.10", images_per_day=10)
    submit_generation(member, submit_data(num_images=2))
    status = budgets.budget_status(member)
    assert (status.used_usd, status.remaining_usd, status.images_today) == (
        Decimal("0.08"),
        Decimal("0.02"),
        2,
    )
    assert status.shortfall(Decimal("0.02")) is None
    assert "needs $0.04, but only $0.02 of your monthly budget is left" in status.shortfall(
        Decimal("0.04")
    )


def test_status_of_a_user_without_quota_shows_the_defaults(member):
    Quota.objects.filter(user=member).delete()
    status = budgets.budget_status(member)
    assert status.budget_usd == Decimal("5.00") and status.used_usd == 0
    assert not Quota.objects.filter(user=member).exists()
