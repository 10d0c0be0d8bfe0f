"""The safety policy page (``/settings/safety/``): admins (``is_staff``) force the
provider's safety checker on, or leave it to each request (:mod:`.safety`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fluxweb.providers.options import ENABLE_SAFETY_CHECKER
from fluxweb.providers.registry import get_registry

from .safety import safety_forced, set_safety_forced


@require_http_methods(["GET", "POST"])
def safety_settings(request: HttpRequest) -> HttpResponse:
    """GET: the policy and the models it applies to. POST ``force_safety_checker`` ("on"
    or absent): store it and come back here. 403 for members who are not admins."""
    if not request.user.is_staff:
        raise PermissionDenied("Only admins change the safety policy.")
    if request.method == "POST":
        forced = request.POST.get("force_safety_checker") == "on"
        set_safety_forced(forced, request.user)
        messages.success(
            request,
            "The provider's safety checker is now always on."
            if forced
            else "Members may now turn the provider's safety checker off.",
        )
        return redirect("generations:safety")
    models = [
        spec.label
        for spec in get_registry().models.values()
        if ENABLE_SAFETY_CHECKER.name in spec.options
    ]
    context = {"forced": safety_forced(), "models": models}
    return render(request, "generations/safety.html", context)
