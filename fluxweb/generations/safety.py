"""The team's safety policy: whether the provider's safety checker is always on.

Where a provider's API documents a safety checker (AIML ``enable_safety_checker``, seeds 000
and 004, default true), a member may turn it off for a request unless an admin forced it.
The policy is one database row an admin changes on ``/settings/safety/`` (no restart); until
it exists, the setting ``FLUXWEB_FORCE_SAFETY_CHECKER`` (environment, default off) decides.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from fluxweb.providers.base import ModelSpec
from fluxweb.providers.options import ENABLE_SAFETY_CHECKER

# The message a member sees when asking for the checker off while it is forced.
FORCED_MESSAGE = "An admin requires the provider's safety checker; it cannot be turned off."


class SafetyPolicy(models.Model):
    """The single policy row (pk 1): ``force_safety_checker`` and who changed it last."""

    force_safety_checker = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"safety checker {'forced' if self.force_safety_checker else 'optional'}"


def safety_forced() -> bool:
    """Whether the safety checker is always on: the policy row, else the setting (one
    query)."""
    row = SafetyPolicy.objects.filter(pk=1).values_list("force_safety_checker", flat=True)
    values = list(row)
    return values[0] if values else bool(settings.FLUXWEB_FORCE_SAFETY_CHECKER)


def set_safety_forced(forced: bool, by: Any) -> None:
    """Store the policy (an admin's choice; the caller checks ``by`` is one)."""
    SafetyPolicy.objects.update_or_create(
        pk=1, defaults={"force_safety_checker": forced, "updated_by": by}
    )


def enforce(options: dict[str, Any], option_names: tuple[str, ...], forced: bool) -> dict[str, Any]:
    """``options`` for a model taking ``option_names``, with the safety checker switched on
    when ``forced`` and the model has one (what the worker sends, whatever was stored)."""
    options = {name: value for name, value in options.items() if name in option_names}
    if forced and ENABLE_SAFETY_CHECKER.name in option_names:
        options[ENABLE_SAFETY_CHECKER.name] = True
    return options


def request_options(stored: Any, spec: ModelSpec) -> dict[str, Any]:
    """The provider options to send for a generation of ``spec`` whose stored options are
    ``stored`` (a dict; anything else counts as none): :func:`enforce` with the policy."""
    options = stored if isinstance(stored, dict) else {}
    return enforce(options, spec.options, safety_forced() if spec.options else False)
