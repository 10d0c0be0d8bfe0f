"""How a provider describes itself: slug, label, the environment variables it reads and how
it is built from their values.

Each provider module declares one :class:`ProviderInfo` (``INFO``); :mod:`.catalog` lists
them in display order. ``fluxweb/settings.py`` reads every declared variable into a setting
of the same name, the registry builds the providers whose enabling variables are set, and
the tests check README.md and docs/providers.md against the declarations.

This module is imported by settings, before apps load: it imports nothing from Django.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from environs import Env

    from .base import Provider

Kind = Literal["str", "bool", "float", "list"]


@dataclass(frozen=True)
class EnvVar:
    """One environment variable a provider reads, and the Django setting of the same name.

    ``kind`` is the environs parser (``str``, ``bool``, ``float``, ``list``: comma-separated);
    ``default`` is the value when unset (for base URLs, the provider's documented API host).
    ``enables``: the provider is enabled only when this setting is truthy (its API key, a
    switch). ``secret`` values are never shown (the status page shows only the name).
    """

    name: str
    kind: Kind = "str"
    default: Any = ""
    enables: bool = False
    secret: bool = False

    def read(self, env: Env) -> Any:
        """The typed value from the environment; raises environs' ``EnvError`` when it does
        not parse (strict: ``DEEPINFRA_OPENAI=maybe`` stops start-up)."""
        default = list(self.default) if self.kind == "list" else self.default
        return getattr(env, self.kind)(self.name, default=default)


@dataclass(frozen=True)
class ProviderInfo:
    """One provider: its ``slug`` (model ids start with it), ``label`` (shown to people),
    the environment variables ``env`` it reads, and ``build``, which makes the provider from
    those variables' setting values (a mapping name → value)."""

    slug: str
    label: str
    env: tuple[EnvVar, ...]
    build: Callable[[Mapping[str, Any]], Provider]

    @property
    def needs(self) -> tuple[str, ...]:
        """Names of the settings that must all be truthy for the provider to be enabled."""
        return tuple(var.name for var in self.env if var.enables)


def key_var(prefix: str) -> EnvVar:
    """``{prefix}_API_KEY``: a secret that enables the provider."""
    return EnvVar(f"{prefix}_API_KEY", secret=True, enables=True)


def base_url_var(prefix: str, default: str) -> EnvVar:
    """``{prefix}_BASE_URL`` with the provider's documented API host as default (override it
    for a proxy or an emulator)."""
    return EnvVar(f"{prefix}_BASE_URL", default=default)


def settings_env(infos: tuple[ProviderInfo, ...], env: Env) -> dict[str, Any]:
    """Every variable the providers ``infos`` declare, read from ``env``: name → typed value.

    A variable two providers share (DeepInfra's key) must be declared the same way by both;
    raises ValueError otherwise.
    """
    declared: dict[str, EnvVar] = {}
    for info in infos:
        for var in info.env:
            if declared.setdefault(var.name, var) != var:
                raise ValueError(f"{var.name} is declared differently by two providers")
    return {name: var.read(env) for name, var in declared.items()}
