"""Every provider fluxweb knows, in display order (the form lists their models so).

Adding a provider: write its module with an ``INFO`` (:class:`~.declaration.ProviderInfo`)
and add it here; settings, the registry, the status page and the benchmarks follow.
Imported by settings: provider modules must not import Django models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import aimlapi, deepinfra, demo, imagepipeline, openai_images, segmind
from .declaration import ProviderInfo, settings_env

if TYPE_CHECKING:
    from environs import Env

PROVIDERS: tuple[ProviderInfo, ...] = (
    deepinfra.INFO,
    openai_images.DEEPINFRA_INFO,
    aimlapi.INFO,
    segmind.INFO,
    imagepipeline.INFO,
    openai_images.GENERIC_INFO,
    demo.INFO,
)


def env_names() -> list[str]:
    """Every environment variable the providers read, each once, in declaration order."""
    return list(dict.fromkeys(var.name for info in PROVIDERS for var in info.env))


def provider_settings(env: Env) -> dict[str, Any]:
    """Every provider setting read from ``env`` (fluxweb/settings.py): name → typed value.
    Raises environs' ``EnvError`` for a value that does not parse."""
    return settings_env(PROVIDERS, env)
