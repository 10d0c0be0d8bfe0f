"""Showing money: exact USD, never rounded away (a $0.000375 request is not "$0.00")."""

from __future__ import annotations

from decimal import Decimal


def format_usd(value: Decimal | None) -> str:
    """``Decimal("5")`` → ``"$5.00"``, ``Decimal("0.000375")`` → ``"$0.000375"``,
    ``Decimal("-0.5")`` → ``"−$0.50"``, None → ``"—"``; at most 6 decimals."""
    if value is None:
        return "—"
    sign = "−" if value < 0 else ""
    whole, _, fraction = f"{abs(value):,.6f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{sign}${whole}.{fraction}"
