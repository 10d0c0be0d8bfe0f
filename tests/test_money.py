"""One money format everywhere, and the budget bar's colour."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fluxweb.budgets.status import BudgetStatus
from fluxweb.core.money import format_usd, round_usd


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("4.970548", "$4.97"),  # what is left: cents, not six decimals
        ("0.0015", "$0.0015"),  # a cheap image's cost stays visible
        ("0.003859", "$0.0039"),
        ("0.025", "$0.025"),
        ("0.1", "$0.10"),
        ("0.0999", "$0.10"),
        ("0.000001", "$0.000001"),
        ("0", "$0.00"),
        ("1234567.891", "$1,234,567.89"),
        ("-0.0042", "−$0.0042"),
        ("-0.0000001", "$0.00"),  # rounds to nothing: no minus sign
    ],
)
def test_format_usd(value, shown):
    assert format_usd(Decimal(value)) == shown


@pytest.mark.parametrize("value", ["0.003859", "0.000375", "4.970548", "12.3456", "0.0123456"])
def test_never_more_than_two_significant_digits_below_a_dime_nor_past_cents_above(value):
    rounded = round_usd(Decimal(value))
    digits = rounded.as_tuple().digits
    assert abs(rounded - Decimal(value)) <= abs(Decimal(value)) / 10
    if abs(Decimal(value)) < Decimal("0.1"):
        assert len(str(int("".join(map(str, digits))))) <= 2
    else:
        assert rounded.as_tuple().exponent == -2


def status(budget: str | None, spent: str) -> BudgetStatus:
    return BudgetStatus(
        budget_usd=None if budget is None else Decimal(budget),
        spent_usd=Decimal(spent),
        reserved_usd=Decimal(0),
        period="monthly",
        resets_at=None,
    )


@pytest.mark.parametrize(
    ("budget", "spent", "level"),
    [
        ("5", "0", "ok"),
        ("5", "3.99", "ok"),
        ("5", "4", "warn"),
        ("5", "4.74", "warn"),
        ("5", "4.75", "danger"),
        ("5", "6", "danger"),
        (None, "100", "ok"),
        ("0", "0", "ok"),
    ],
)
def test_the_budget_bar_turns_amber_at_80_and_red_at_95_percent(budget, spent, level):
    assert status(budget, spent).level == level


def test_the_budget_line_carries_its_level(member_client, member):
    from fluxweb.budgets.models import Quota
    from tests.budget_factories import set_quota

    set_quota(member, "1.00")
    Quota.objects.filter(user=member).update(spent_usd=Decimal("0.85"))
    html = member_client.get(
        "/generations/estimate/",
        {"model": "demo/placeholder", "width": "64", "height": "64", "num_images": "1"},
    ).content.decode()
    assert "budget-line--warn" in html and 'low="0.8" high="0.95"' in html
    assert "Left: <output>$0.15</output> of $1.00" in html
