"""``{% prompt_rows page.items %}``: the prompt history's rows from the row cache
(fluxweb/gallery/prompt_rows.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from fluxweb.gallery.prompt_rows import render_rows

register = template.Library()


@register.simple_tag
def prompt_rows(prompts: Any) -> SafeString:
    return render_rows(list(prompts))
