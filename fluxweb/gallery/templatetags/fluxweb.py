"""Template filters for showing money and parameters."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    """``Decimal("0.002")`` → ``"$0.0020"``; ``0`` → ``"free"``; None → ``"—"``."""
    if value is None:
        return "—"
    if value == 0:
        return "free"
    return f"${value:.4f}" if value >= Decimal("0.0001") else f"${value:.6f}"
