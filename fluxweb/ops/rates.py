"""Adopting the rate a host actually bills: the provider status page's "use the reported
rate" button (staff only). It lives here, above both the per-call records
(``fluxweb.providerstatus``) and the price table (``fluxweb.budgets``) it joins."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from fluxweb.budgets.models import ModelPrice
from fluxweb.providers.pricing import USD_PLACES
from fluxweb.providers.registry import get_registry
from fluxweb.providerstatus.calls import call_stats

# The period whose drift the button adopts (the status page's "last week").
DRIFT_PERIOD = timedelta(days=7)


def adopt_reported_rate(slug: str) -> Decimal | None:
    """Multiply the price-table rate (USD per unit) of every enabled model of host ``slug``
    by its drift over :data:`DRIFT_PERIOD` (actual/estimate of the calls with a reported
    cost), creating rows from the module defaults where missing. Returns the drift
    applied, or None (nothing changed) without such calls or for an unknown host."""
    drift = call_stats(slug, DRIFT_PERIOD).drift
    models = [spec for spec in get_registry().real_models.values() if spec.provider == slug]
    if drift is None or drift <= 0 or not models:
        return None
    with transaction.atomic():
        for spec in models:
            row = ModelPrice.objects.select_for_update().filter(model_id=spec.id).first()
            if row is None:
                row = ModelPrice.from_price(spec.id, spec.price, "")
            row.usd_per_unit = (row.usd_per_unit * drift).quantize(USD_PLACES, ROUND_HALF_UP)
            row.source = f"adjusted ×{drift} to the costs {slug} reported over the last week"
            row.save()
    return drift


@require_POST
def use_reported_rate(request: HttpRequest, slug: str) -> HttpResponse:
    """POST (staff, CSRF): :func:`adopt_reported_rate` for host ``slug``, then back to the
    status page with a message saying what changed."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can change prices.")
    drift = adopt_reported_rate(slug)
    if drift is None:
        messages.warning(request, "No reported costs to adopt for that host.")
    else:
        messages.success(request, f"The prices of {slug} were multiplied by {drift}.")
    return redirect("providerstatus:status")
