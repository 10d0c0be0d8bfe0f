"""The provider status page (staff only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fluxweb.providers.base import ModelSpec
from fluxweb.providers.catalog import PROVIDERS
from fluxweb.providers.registry import get_registry

from .calls import CallStats, call_stats
from .models import ProviderStatus

# The periods the page gives each host's call figures over: (label, length).
PERIODS = (("last day", timedelta(days=1)), ("last week", timedelta(days=7)))


@dataclass(frozen=True)
class ProviderRow:
    """One provider as the page shows it."""

    slug: str
    label: str
    configured: bool
    needs: tuple[str, ...]
    models: list[ModelSpec]
    status: ProviderStatus | None
    stats: list[tuple[str, CallStats]]

    @property
    def drift(self) -> CallStats | None:
        """The last week's figures when they give a price drift (actual/estimate) to adopt."""
        week = self.stats[-1][1] if self.stats else None
        return week if week is not None and week.drift is not None else None


def provider_rows() -> list[ProviderRow]:
    """Every known provider in registry order, with its enabled models and recorded status."""
    registry = get_registry()
    statuses = {status.slug: status for status in ProviderStatus.objects.all()}
    rows = []
    for info in PROVIDERS:
        provider = registry.providers.get(info.slug)
        rows.append(
            ProviderRow(
                slug=info.slug,
                label=provider.label if provider else info.label,
                configured=provider is not None,
                needs=info.needs,
                models=provider.models() if provider else [],
                status=statuses.get(info.slug),
                stats=[(label, call_stats(info.slug, period)) for label, period in PERIODS]
                if provider
                else [],
            )
        )
    return rows


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """Each provider: configured or not, last success, last error, credits left."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can see the provider status.")
    return render(request, "providerstatus/status.html", {"rows": provider_rows()})
