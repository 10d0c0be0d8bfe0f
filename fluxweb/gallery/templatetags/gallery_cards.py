"""``{% cards page.items %}`` / ``{% card generation %}``: gallery cards from the card cache
(fluxweb/gallery/cards.py), each with the current request's star."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from fluxweb.gallery.cards import render_cards

register = template.Library()


@register.simple_tag(takes_context=True)
def cards(context: Any, generations: Any) -> SafeString:
    return render_cards(list(generations), context.get("request"))


@register.simple_tag(takes_context=True)
def card(context: Any, generation: Any) -> SafeString:
    return render_cards([generation], context.get("request"))
