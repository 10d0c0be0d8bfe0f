"""Every provider's emulator, and one valid generation per seed provider, for tests that run
every provider the same way.

:data:`EMULATORS` maps each declared provider's slug to its emulator fixture in conftest.py
(a test checks every provider in ``fluxweb.providers.catalog`` but the demo has one).
:data:`CASES` keys are those fixture names; values are the Generation fields.
"""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

from environs import Env

from fluxweb.providers import catalog
from fluxweb.providers.declaration import settings_env

EMULATORS: dict[str, str] = {
    "deepinfra": "deepinfra",
    "deepinfra-openai": "deepinfra_openai",
    "aimlapi": "aimlapi",
    "segmind": "segmind",
    "imagepipeline": "imagepipeline",
    "openai-images": "openai_images",
}

CASES: dict[str, dict[str, Any]] = {
    "aimlapi": {
        "model": "aimlapi/flux-schnell",
        "width": 512,
        "height": 384,
        "num_inference_steps": 4,
        "seed": 7,
    },
    "segmind": {
        "model": "segmind/flux-schnell",
        "width": 512,
        "height": 576,
        "num_inference_steps": 4,
        "seed": 7,
    },
    "imagepipeline": {
        "model": "imagepipeline/flux-schnell",
        "width": 512,
        "height": 384,
        "num_inference_steps": 4,
        "seed": 7,
    },
    "deepinfra_openai": {
        "model": "deepinfra-openai/flux-1-schnell",
        "width": 512,
        "height": 384,
        "num_inference_steps": None,
        "seed": None,
    },
    "openai_images": {
        "model": "openai-images/flux-dev",
        "width": 384,
        "height": 512,
        "num_inference_steps": None,
        "seed": None,
    },
}
PROVIDERS = list(CASES)


def generation_fields(name: str) -> dict[str, Any]:
    """Fields for ``tests.factories.make_generation`` on provider ``name``."""
    fields = dict(CASES[name])
    fields["provider"] = fields["model"].split("/")[0]
    return fields


def provider_settings(env: dict[str, str]) -> dict[str, Any]:
    """The settings ``env`` (provider variables as text) gives, parsed as fluxweb/settings.py
    parses them: ``{"DEEPINFRA_OPENAI": "1"}`` → ``{"DEEPINFRA_OPENAI": True}``. Raises
    KeyError for a variable no provider declares."""
    with mock.patch.dict(os.environ, env):
        parsed = settings_env(catalog.PROVIDERS, Env())
    return {name: parsed[name] for name in env}
