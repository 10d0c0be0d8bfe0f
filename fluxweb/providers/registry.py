"""The providers and models enabled by settings, built once per process.

:data:`~.catalog.PROVIDERS` lists every provider fluxweb knows with the settings it reads;
one is enabled when all its enabling settings are set (the API key, mostly; the demo
provider unless ``FLUXWEB_DEMO_PROVIDER=0``). Tests that change provider settings get a
fresh registry through Django's ``setting_changed`` signal.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .base import ModelSpec, Provider
from .catalog import PROVIDERS
from .declaration import ProviderInfo
from .routes import virtual_specs


def configured(info: ProviderInfo) -> bool:
    """Whether every enabling setting of ``info`` is set (truthy) in Django's settings."""
    return all(getattr(settings, name) for name in info.needs)


def build(info: ProviderInfo) -> Provider:
    """The provider ``info`` describes, from the current values of its settings."""
    return info.build({var.name: getattr(settings, var.name) for var in info.env})


class Registry:
    """Enabled providers by slug and their models by id, in display order.

    ``real_models`` are the providers' own; ``virtual_models`` the best-price models
    (:mod:`.routes`) over them; ``all_models`` both (to look up any generation's model).
    ``models`` is what members may choose: with ``best_price`` (``FLUXWEB_BEST_PRICE``)
    the best-price models first, then the real ones; else only the real ones."""

    def __init__(self, providers: list[Provider], best_price: bool = False) -> None:
        self.providers = {provider.slug: provider for provider in providers}
        self.real_models = {
            model.id: model for provider in providers for model in provider.models()
        }
        virtual = virtual_specs(list(self.real_models.values()))
        self.virtual_models = {model.id: model for model in virtual}
        self.all_models = self.virtual_models | self.real_models
        self.models = self.all_models if best_price else self.real_models

    def model(self, model_id: str) -> ModelSpec:
        """The enabled model ``model_id``; raises KeyError if it is not enabled."""
        return self.models[model_id]

    def provider_for(self, model: ModelSpec) -> Provider:
        return self.providers[model.provider]


def build_providers() -> list[Provider]:
    """Instantiate every provider whose configuration is present in settings, in
    :data:`~.catalog.PROVIDERS` order (the form lists their models in that order)."""
    return [build(info) for info in PROVIDERS if configured(info)]


@functools.cache
def get_registry() -> Registry:
    """The process-wide :class:`Registry`."""
    return Registry(build_providers(), best_price=settings.FLUXWEB_BEST_PRICE)


@receiver(setting_changed)
def _reset_registry(**kwargs: object) -> None:
    get_registry.cache_clear()
