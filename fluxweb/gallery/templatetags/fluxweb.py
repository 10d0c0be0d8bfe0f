"""Template filters for showing money and parameters."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    """Money at its real precision, at least cents: ``Decimal("0.000750")`` → ``"$0.00075"``,
    ``Decimal("1.5")`` → ``"$1.50"``; ``0`` → ``"free"``; None → ``"—"``."""
    if value is None:
        return "—"
    if value == 0:
        return "free"
    value = value.normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"${value:f}"
