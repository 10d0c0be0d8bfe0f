"""The prompt history's rows rendered once per version, then served from the cache.

A row (``gallery/_prompt_row.html``) shows nothing that depends on who looks at it, so a
page of rows is one ``get_many`` on the cache plus a render of the rows not found. The key
is a digest of everything a row is rendered from: the prompt's id, text, use count, last
use and authors, its latest images (generation, image and size), the row template's source
and the URL prefix and time zone it was rendered under. A prompt used again, or a filter
that picks other images, gives another key, so a stale row is never looked up (no
invalidation to forget; old entries expire).

Rows share the ``"cards"`` cache alias, and its read-render-store step, with the gallery's
cards (:func:`fluxweb.gallery.cards.render_cached`).
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .cards import render_cached

# Bump when what a row shows changes outside _prompt_row.html.
ROW_FORMAT = 1


@functools.cache
def _template_fingerprint() -> str:
    source = get_template("gallery/_prompt_row.html").template.source
    return hashlib.sha256(repr((ROW_FORMAT, source)).encode()).hexdigest()[:16]


def cache_key(prompt: Any) -> str:
    """``prompt-row:<id>:<digest>`` for a prompt of :func:`~fluxweb.gallery.queries.history_page`
    (with ``author_names`` and ``latest``)."""
    inputs = (
        _template_fingerprint(), get_script_prefix(), timezone.get_current_timezone_name(),
        prompt.pk, prompt.text, prompt.use_count, prompt.last_used_at.isoformat(),
        tuple(prompt.author_names), tuple(tuple(image) for image in prompt.latest),
    )
    return f"prompt-row:{prompt.pk}:{hashlib.sha256(repr(inputs).encode()).hexdigest()[:32]}"


def render_rows(prompts: list[Any]) -> SafeString:
    """The rows of ``prompts`` (from :func:`~fluxweb.gallery.queries.history_page`), in order:
    one cache round trip for the lot, one render and one more round trip for the misses."""
    rows = render_cached(prompts, [cache_key(prompt) for prompt in prompts], _render_row)
    return mark_safe("\n".join(rows))


def _render_row(prompt: Any) -> str:
    return render_to_string("gallery/_prompt_row.html", {"prompt": prompt})
