"""Gallery cards rendered once and then served from the cache.

A card (``gallery/_card.html``) is the same HTML for every user, except for its star
(``gallery/_star.html``: the user's favourite state, the CSRF token and the page's path).
So the card is rendered with a slot where the star goes, that HTML is cached, and each
request fills the slot with its own star. A page of 48 cards then costs 48 cache reads
and string replacements instead of 48 template renders; the live hub
(:mod:`fluxweb.gallery.live`) uses the same cache, so the card it renders when a
generation finishes is the one every page serves afterwards.

The cache key is a digest of everything the card is rendered from: every column of the
generation (``updated_at`` included, so any change through the model makes a new key),
its prompt, its author's name, its images, the card template's source and the enabled
providers' labels. A stale fragment is therefore never looked up; old ones simply expire.
Queued and running cards show a clock (elapsed seconds), so only finished cards are cached.

The cache is the ``"cards"`` alias of ``CACHES`` (``settings.py``: local memory per
process by default; docs/gallery.md shows a shared Redis/Memcached option).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from fluxweb.generations.models import Generation
from fluxweb.providers.registry import get_registry

T = TypeVar("T")

CACHE_ALIAS = "cards"
# Bump when what a card shows changes outside _card.html (filters, model properties).
CARD_FORMAT = 1
# The card's HTML escapes "<" in everything users write, so this cannot come from a prompt.
STAR_SLOT = "<!--fluxweb:star-->"
STAR_MARK = 918273645501  # stands for the generation's id while a star is rendered once


@functools.cache
def _static_fingerprint() -> str:
    """The card template's source and the registry's labels: what the cache keys do not
    see on the generation itself."""
    source = get_template("gallery/_card.html").template.source
    registry = get_registry()
    labels = sorted((slug, p.label) for slug, p in registry.providers.items())
    labels += sorted((model_id, spec.label) for model_id, spec in registry.models.items())
    return hashlib.sha256(repr((CARD_FORMAT, source, labels)).encode()).hexdigest()[:16]


def cacheable(generation: Generation) -> bool:
    """Finished cards only: a queued or running card shows a clock that moves on its own."""
    return generation.status in (Generation.Status.SUCCEEDED, Generation.Status.FAILED)


def cache_key(generation: Generation) -> str:
    """``card:<id>:<digest>`` where the digest covers every input of the card."""
    # From __dict__: a deferred column must not cost a query per card (it is keyed as absent).
    columns = tuple(generation.__dict__.get(field.attname, "-") for field in Generation._meta.concrete_fields)
    author = generation.author.get_username() if generation.author_id else None
    prompt = generation.prompt
    images = tuple((i.pk, i.index, i.width, i.height) for i in generation.images.all())
    digest = hashlib.sha256(
        repr((_static_fingerprint(), columns, author, prompt.pk, prompt.text, images)).encode()
    ).hexdigest()[:32]
    return f"card:{generation.pk}:{digest}"


def _render_body(generation: Generation) -> str:
    return render_to_string("gallery/_card.html", {"generation": generation, "star": mark_safe(STAR_SLOT)})


def render_cached(items: list[T], keys: list[str | None], render: Callable[[T], str]) -> list[str]:
    """``render(item)`` for each of ``items``, in order, read from the ``"cards"`` cache
    under its key where possible (a None key: never cached); one cache round trip for the
    lot, and one more to store what had to be rendered. Used for cards and history rows."""
    cache = caches[CACHE_ALIAS]
    found = cache.get_many([k for k in keys if k is not None])
    rendered, missing = [], {}
    for item, key in zip(items, keys, strict=True):
        html = found.get(key) if key is not None else None
        if html is None:
            html = render(item)
            if key is not None:
                missing[key] = html
        rendered.append(html)
    if missing:
        cache.set_many(missing)
    return rendered


def card_bodies(generations: list[Generation]) -> list[str]:
    """Each card's shared HTML (with STAR_SLOT), from the cache where possible."""
    keys = [cache_key(g) if cacheable(g) else None for g in generations]
    return render_cached(generations, keys, _render_body)


class Stars:
    """The star of one user on one request, rendered once per state (on/off) with a
    stand-in id, then given each card's id: identical to including _star.html per card."""

    def __init__(self, request: Any = None) -> None:
        self.request = request
        self._templates: dict[bool, str] = {}
        self._mark_url = reverse("gallery:favourite", args=[STAR_MARK])

    def html(self, pk: int, is_favourite: bool) -> str:
        is_favourite = bool(is_favourite)
        template = self._templates.get(is_favourite)
        if template is None:
            stand_in = {"pk": STAR_MARK, "is_favourite": is_favourite}
            template = get_template("gallery/_star.html").render({"generation": stand_in}, self.request)
            self._templates[is_favourite] = template
        return template.replace(self._mark_url, reverse_favourite(pk))


def reverse_favourite(pk: int) -> str:
    from .templatetags.gallery_urls import pk_url

    return pk_url("gallery:favourite", pk)


def render_each(generations: list[Generation], request: Any = None) -> list[SafeString]:
    """The card of each of ``generations`` for ``request``'s user (stars from
    ``is_favourite``); without a request, the anonymous form the live stream sends to
    every browser (no CSRF token, star off)."""
    stars = Stars(request)
    return [
        mark_safe(body.replace(STAR_SLOT, stars.html(g.pk, getattr(g, "is_favourite", False)), 1))
        for g, body in zip(generations, card_bodies(generations), strict=True)
    ]


def render_cards(generations: list[Generation], request: Any = None) -> SafeString:
    return mark_safe("\n".join(render_each(generations, request)))


def render_card(generation: Generation, request: Any = None) -> SafeString:
    return render_cards([generation], request)
