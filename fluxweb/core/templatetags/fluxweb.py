"""Template filters for showing money."""

from __future__ import annotations

from decimal import Decimal

from django import template

from fluxweb.core.money import format_usd

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    """A cost as shown on cards and the form: USD as :func:`format_usd` shows it, ``"free"``
    for 0."""
    if value is not None and value == 0:
        return "free"
    return format_usd(value)
