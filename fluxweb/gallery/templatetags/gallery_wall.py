"""Template filters of the gallery wall."""

from __future__ import annotations

from django import template

register = template.Library()

#: The aspect ratios the wall lays out (CSS classes ``card--r<w>-<h>`` in fluxweb.css):
#: the prompt bar's presets. Any other size shows at the nearest one.
ASPECTS = ((9, 16), (2, 3), (3, 4), (1, 1), (4, 3), (3, 2), (16, 9))


@register.filter
def aspect(width: int | None, height: int | None) -> str:
    """``"<w>-<h>"``: of :data:`ASPECTS`, the ratio nearest ``width / height`` (pixels);
    ``"1-1"`` when either is missing or not positive."""
    if not width or not height or width <= 0 or height <= 0:
        return "1-1"
    ratio = width / height
    w, h = min(ASPECTS, key=lambda pair: abs(pair[0] / pair[1] - ratio))
    return f"{w}-{h}"
