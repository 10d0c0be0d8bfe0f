"""The providers and models enabled by settings, built once per process.

A provider is enabled when its API key is set (the demo provider unless
``FLUXWEB_DEMO_PROVIDER=0``). Tests that change provider settings get a fresh registry
through Django's ``setting_changed`` signal.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .base import ModelSpec, Provider
from .deepinfra import DeepInfraProvider
from .demo import DemoProvider


class Registry:
    """Enabled providers by slug and their models by id, in display order."""

    def __init__(self, providers: list[Provider]) -> None:
        self.providers = {provider.slug: provider for provider in providers}
        self.models = {model.id: model for provider in providers for model in provider.models()}

    def model(self, model_id: str) -> ModelSpec:
        """The enabled model ``model_id``; raises KeyError if it is not enabled."""
        return self.models[model_id]

    def provider_for(self, model: ModelSpec) -> Provider:
        return self.providers[model.provider]


def build_providers() -> list[Provider]:
    """Instantiate every provider whose configuration is present in settings."""
    providers: list[Provider] = []
    if settings.DEEPINFRA_API_KEY:
        providers.append(DeepInfraProvider(settings.DEEPINFRA_API_KEY, settings.DEEPINFRA_BASE_URL))
    if settings.FLUXWEB_DEMO_PROVIDER:
        providers.append(DemoProvider(delay=settings.FLUXWEB_DEMO_DELAY))
    return providers


@functools.cache
def get_registry() -> Registry:
    """The process-wide :class:`Registry`."""
    return Registry(build_providers())


@receiver(setting_changed)
def _reset_registry(**kwargs: object) -> None:
    get_registry.cache_clear()
