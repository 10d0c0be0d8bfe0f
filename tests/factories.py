"""Test data built in code (no fixtures files)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fluxweb.generations.models import Generation, Prompt
from fluxweb.generations.running import run_generation


def make_generation(
    author: Any, prompt: str = "a lighthouse at dusk", **overrides: Any
) -> Generation:
    fields: dict[str, Any] = {
        "provider": "demo",
        "model": "demo/placeholder",
        "width": 256,
        "height": 256,
        "num_inference_steps": 4,
        "seed": 7,
        "num_images": 1,
        "estimated_cost_usd": Decimal("0"),
    }
    fields.update(overrides)
    prompt_row = Prompt.objects.for_text(prompt)
    Prompt.objects.record_use(prompt_row.pk)
    return Generation.objects.create(author=author, prompt=prompt_row, **fields)


def make_finished_generation(
    author: Any, prompt: str = "a lighthouse at dusk", **overrides: Any
) -> Generation:
    """A generation run through the real worker code with the demo provider (images and
    thumbnails stored in the test's MEDIA_ROOT)."""
    overrides.setdefault("width", 64)
    overrides.setdefault("height", 64)
    generation = make_generation(author, prompt, **overrides)
    run_generation(generation.pk)
    generation.refresh_from_db()
    return generation
