"""The platform's health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """``GET /healthz`` (no login): JSON from :func:`fluxweb.ops.health.health`; 200 when
    the database answers, 503 when it does not."""
    body, status = health()
    return JsonResponse(body, status=status)
