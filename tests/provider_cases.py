"""One valid generation per seed provider, for tests that run every provider the same way.

Keys are the emulator fixture names in conftest.py; values are the Generation fields.
"""

from __future__ import annotations

from typing import Any

CASES: dict[str, dict[str, Any]] = {
    "aimlapi": {"model": "aimlapi/flux-schnell", "width": 512, "height": 384,
                "num_inference_steps": 4, "seed": 7},
    "segmind": {"model": "segmind/flux-schnell", "width": 512, "height": 576,
                "num_inference_steps": 4, "seed": 7},
    "imagepipeline": {"model": "imagepipeline/flux-schnell", "width": 512, "height": 384,
                      "num_inference_steps": 4, "seed": 7},
    "deepinfra_openai": {"model": "deepinfra-openai/flux-1-schnell", "width": 512, "height": 384,
                         "num_inference_steps": None, "seed": None},
    "openai_images": {"model": "openai-images/flux-dev", "width": 384, "height": 512,
                      "num_inference_steps": None, "seed": None},
}
PROVIDERS = list(CASES)


def generation_fields(name: str) -> dict[str, Any]:
    """Fields for ``tests.factories.make_generation`` on provider ``name``."""
    fields = dict(CASES[name])
    fields["provider"] = fields["model"].split("/")[0]
    return fields
