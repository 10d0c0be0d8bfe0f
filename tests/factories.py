"""Test data built in code (no fixtures files)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fluxweb.generations.models import Generation, Prompt


def make_generation(author: Any, prompt: str = "a lighthouse at dusk", **overrides: Any) -> Generation:
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
    return Generation.objects.create(author=author, prompt=Prompt.objects.for_text(prompt), **fields)
