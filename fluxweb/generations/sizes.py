"""Aspect-ratio presets mapped onto each model's documented size grid.

A preset keeps the model's default long side (1024 px for every model today), makes the
short side follow the ratio, and snaps both onto the model's width/height :class:`Range`
(its bounds and multiple). At 1024 px this gives AIML's documented ``image_size`` presets
exactly (``square_hd`` 1024×1024, ``landscape_4_3`` 1024×768, ``landscape_16_9`` 1024×576,
``portrait_4_3`` 768×1024, ``portrait_16_9`` 576×1024; see docs/providers for the source).
"""

from __future__ import annotations

from fluxweb.providers.base import ModelSpec, Range

# (name, width part, height part), in the order the prompt bar shows them.
ASPECTS: tuple[tuple[str, int, int], ...] = (
    ("1:1", 1, 1),
    ("4:3", 4, 3),
    ("3:4", 3, 4),
    ("3:2", 3, 2),
    ("2:3", 2, 3),
    ("16:9", 16, 9),
    ("9:16", 9, 16),
)
ASPECT_NAMES = tuple(name for name, _, _ in ASPECTS)


def snap(value: float, bounds: Range) -> int:
    """The multiple of ``bounds.step`` nearest to ``value`` (pixels) inside ``bounds``."""
    step = bounds.step
    lowest = -(-bounds.minimum // step) * step  # the first multiple at or above the minimum
    highest = bounds.maximum // step * step
    return min(max(round(value / step) * step, lowest), highest)


def preset_size(spec: ModelSpec, aspect: str) -> tuple[int, int] | None:
    """(width, height) in pixels of ``aspect`` (e.g. ``"16:9"``) for ``spec``, or None for
    an unknown aspect or one the model's grid cannot hold."""
    ratio = next(((w, h) for name, w, h in ASPECTS if name == aspect), None)
    if ratio is None:
        return None
    ratio_w, ratio_h = ratio
    long_side = max(spec.default_width, spec.default_height)
    if ratio_w >= ratio_h:
        width = snap(long_side, spec.width)
        height = snap(width * ratio_h / ratio_w, spec.height)
    else:
        height = snap(long_side, spec.height)
        width = snap(height * ratio_w / ratio_h, spec.width)
    if spec.width.contains(width) and spec.height.contains(height):
        return width, height
    return None


def presets(spec: ModelSpec) -> list[tuple[str, int, int]]:
    """Every aspect ``spec`` can make, as (name, width, height)."""
    sizes = ((name, preset_size(spec, name)) for name in ASPECT_NAMES)
    return [(name, size[0], size[1]) for name, size in sizes if size is not None]


def aspect_of(spec: ModelSpec, width: int, height: int) -> str:
    """The preset whose size for ``spec`` is exactly ``width``×``height``, else ``""``."""
    return next((name for name, w, h in presets(spec) if (w, h) == (width, height)), "")
