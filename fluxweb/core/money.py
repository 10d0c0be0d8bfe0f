"""Showing money: one format everywhere (form, cards, usage, team pages, API messages).

Amounts of a dime or more show cents ("$4.97"); smaller ones show two significant digits,
so a cheap image's cost stays visible ("$0.0015", "$0.00038") instead of "$0.00" or six
trailing digits ("$0.003859" → "$0.0039").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SMALL = Decimal("0.10")  # below this, two significant digits
SMALLEST = Decimal("0.000001")  # the ledger's precision (6 decimal places)


def round_usd(value: Decimal) -> Decimal:
    """``value`` (USD) rounded half up as :func:`format_usd` shows it: to cents from $0.10,
    below that to two significant digits (never finer than $0.000001)."""
    size = abs(value)
    if size >= SMALL or size == 0:
        return value.quantize(CENT, ROUND_HALF_UP)
    # adjusted(): the power of ten of the first significant digit (0.0015 → -3).
    places = max(-6, size.adjusted() - 1)
    return value.quantize(Decimal(1).scaleb(places), ROUND_HALF_UP)


def format_usd(value: Decimal | None) -> str:
    """``Decimal("4.970548")`` → ``"$4.97"``, ``Decimal("0.0015")`` → ``"$0.0015"``,
    ``Decimal("0.003859")`` → ``"$0.0039"``, ``Decimal("0.025")`` → ``"$0.025"``,
    ``Decimal("1234.5")`` → ``"$1,234.50"``, ``Decimal("-0.5")`` → ``"−$0.50"``,
    None → ``"—"`` (see :func:`round_usd`)."""
    if value is None:
        return "—"
    rounded = round_usd(Decimal(value))
    sign = "−" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):,f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{sign}${whole}.{fraction}"
