"""``{% pk_url "gallery:detail" generation.pk %}``: ``{% url %}`` for the gallery's
per-card links, without a full ``reverse()`` per link (a 48-card page has ~300 of them)."""

from __future__ import annotations

import functools

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

MARK = "918273645501"  # stands for the id while the pattern is reversed once


@functools.lru_cache(maxsize=128)
def _pattern(name: str, with_pk: bool, prefix: str, urlconf: str | None) -> str:
    return reverse(name, args=[int(MARK)] if with_pk else [], urlconf=urlconf)


@register.simple_tag
def pk_url(name: str, pk: int | None = None) -> str:
    """``reverse(name, args=[pk])`` (or ``reverse(name)`` without ``pk``), reversed once per
    URL name, script prefix and URLconf, then the id substituted."""
    pattern = _pattern(name, pk is not None, get_script_prefix(), get_urlconf())
    return pattern if pk is None else pattern.replace(MARK, str(int(pk)))
