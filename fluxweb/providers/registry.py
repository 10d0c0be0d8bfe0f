"""The providers and models enabled by settings, built once per process.

:data:`SETUPS` lists every provider fluxweb knows, with the settings it needs; one is
enabled when all of them are set (the API key, mostly; the demo provider unless
``FLUXWEB_DEMO_PROVIDER=0``). Tests that change provider settings get a fresh registry
through Django's ``setting_changed`` signal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .aimlapi import AIMLAPIProvider
from .base import ModelSpec, Provider
from .deepinfra import DeepInfraProvider
from .demo import DemoProvider
from .imagepipeline import ImagePipelineProvider
from .openai_images import deepinfra_openai, generic_openai
from .segmind import SegmindProvider


@dataclass(frozen=True)
class ProviderSetup:
    """How to build one provider: its ``slug``/``label``, the settings that must all be
    set (truthy) for it to be enabled, and a ``build`` function reading them."""

    slug: str
    label: str
    needs: tuple[str, ...]
    build: Callable[[], Provider]

    @property
    def configured(self) -> bool:
        return all(getattr(settings, name) for name in self.needs)


SETUPS: list[ProviderSetup] = [
    ProviderSetup("deepinfra", "DeepInfra", ("DEEPINFRA_API_KEY",),
                  lambda: DeepInfraProvider(settings.DEEPINFRA_API_KEY, settings.DEEPINFRA_BASE_URL)),
    ProviderSetup("deepinfra-openai", "DeepInfra (OpenAI API)", ("DEEPINFRA_API_KEY", "DEEPINFRA_OPENAI"),
                  lambda: deepinfra_openai(settings.DEEPINFRA_API_KEY, settings.DEEPINFRA_BASE_URL)),
    ProviderSetup("aimlapi", "AIML API", ("AIMLAPI_API_KEY",),
                  lambda: AIMLAPIProvider(settings.AIMLAPI_API_KEY, settings.AIMLAPI_BASE_URL)),
    ProviderSetup("segmind", "Segmind", ("SEGMIND_API_KEY",),
                  lambda: SegmindProvider(settings.SEGMIND_API_KEY, settings.SEGMIND_BASE_URL)),
    ProviderSetup("imagepipeline", "ImagePipeline", ("IMAGEPIPELINE_API_KEY",),
                  lambda: ImagePipelineProvider(settings.IMAGEPIPELINE_API_KEY, settings.IMAGEPIPELINE_BASE_URL,
                                                settings.IMAGEPIPELINE_SERVER_ID)),
    ProviderSetup("openai-images", "OpenAI-compatible endpoint",
                  ("OPENAI_IMAGES_BASE_URL", "OPENAI_IMAGES_API_KEY", "OPENAI_IMAGES_MODELS"),
                  lambda: generic_openai(settings.OPENAI_IMAGES_API_KEY, settings.OPENAI_IMAGES_BASE_URL,
                                         settings.OPENAI_IMAGES_MODELS)),
    ProviderSetup("demo", "Demo (offline)", ("FLUXWEB_DEMO_PROVIDER",),
                  lambda: DemoProvider(delay=settings.FLUXWEB_DEMO_DELAY)),
]


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
    """Instantiate every provider whose configuration is present in settings, in
    :data:`SETUPS` order (the form lists their models in that order)."""
    return [setup.build() for setup in SETUPS if setup.configured]


@functools.cache
def get_registry() -> Registry:
    """The process-wide :class:`Registry`."""
    return Registry(build_providers())


@receiver(setting_changed)
def _reset_registry(**kwargs: object) -> None:
    get_registry.cache_clear()
