from datetime import datetime

import pytest
from django.utils import timezone

from fluxweb.budgets.periods import EPOCH, Period, period_end, period_start
from fluxweb.core.money import format_usd
from fluxweb.usage.charts import nice_ceiling, stacked_bars


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def local(*args):
    return timezone.make_aware(datetime(*args))


def naive(*args):
    return datetime(*args)


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        (Period.DAILY, naive(2026, 3, 29, 15), naive(2026, 3, 29), naive(2026, 3, 30)),  # DST day
        (Period.WEEKLY, naive(2026, 11, 19, 9), naive(2026, 11, 16), naive(2026, 11, 23)),
        (Period.MONTHLY, naive(2026, 12, 31, 23, 59), naive(2026, 12, 1), naive(2027, 1, 1)),
        (Period.MONTHLY, naive(2026, 1, 31, 0, 30), naive(2026, 1, 1), naive(2026, 2, 1)),
    ],
)
def test_periods_follow_the_local_calendar(period, now, start, end):
    now, start, end = (timezone.make_aware(value) for value in (now, start, end))
    assert period_start(period, now) == start
    assert period_end(period, start) == end


def test_a_period_reset_mid_week_still_ends_on_monday():
    assert period_end(Period.WEEKLY, local(2026, 11, 19, 15, 30)) == local(2026, 11, 23)


def test_no_reset_period():
    assert period_start(Period.NONE, local(2026, 5, 5)) == EPOCH
    assert period_end(Period.NONE, EPOCH) is None


def test_money_is_shown_in_one_format():
    from decimal import Decimal

    assert format_usd(Decimal("5")) == "$5.00"
    assert format_usd(Decimal("0.000375")) == "$0.00038"  # two significant digits below a dime
    assert format_usd(Decimal("-0.5")) == "−$0.50"
    assert format_usd(Decimal("1234.5")) == "$1,234.50"
    assert format_usd(None) == "—"


def test_stacked_bars_geometry():
    from datetime import date
    from decimal import Decimal

    days = [date(2026, 11, 1), date(2026, 11, 2)]
    chart = stacked_bars(
        "Spend",
        days,
        {"a": {days[0]: Decimal("0.3")}, "b": {days[0]: Decimal("0.1"), days[1]: Decimal("0.2")}},
    )
    assert nice_ceiling(Decimal("0.4")) == Decimal("0.5")
    assert len(chart.bars) == 3
    first_a, first_b = chart.bars[0], chart.bars[1]
    assert first_b.y + first_b.height == pytest.approx(first_a.y)  # stacked on top of a
    assert first_a.y + first_a.height == chart.plot_bottom
    assert [t.label for t in chart.y_ticks][-1] == "$0.50"
