"""One generation in full (detail view) and what can be done to it: pin, delete.

The star (a user's favourite) belongs to the gallery; the detail page loads it from
the gallery's star URL by htmx, so nothing here reads the gallery's tables.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from fluxweb.core.http import AuthenticatedHttpRequest

from .access import can_delete, can_pin
from .models import Generation
from .services import delete_generation


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """All images large, every parameter, costs, timings; download, copy, remix, delete.
    ``back`` (a same-site URL) is where Close goes; otherwise the gallery. 404 for an
    unknown ``pk``."""
    generation = get_object_or_404(Generation.objects.for_gallery(), pk=pk)
    return render(request, "generations/detail.html", {
        "generation": generation,
        "images": list(generation.images.all()),
        "can_delete": can_delete(request.user, generation),
        "can_pin": can_pin(request.user),
        "back": safe_next(request, request.GET.get("back")) or reverse("gallery:home"),
    })


@require_POST
def pin(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pin (``pinned=1``) or unpin for the whole team: admins only (others 403).
    HTMX: the pin button in its new state; otherwise back to the detail page."""
    if not can_pin(request.user):
        raise PermissionDenied("Only admins can pin.")
    generation = get_object_or_404(Generation, pk=pk)
    generation.set_pinned(request.POST.get("pinned") == "1")
    if request.htmx:
        context = {"generation": generation, "can_pin": True}
        return render(request, "generations/detail.html#pin", context)
    return redirect("generations:detail", pk=pk)


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete the generation and its files: its author and admins only (others 403)."""
    generation = get_object_or_404(Generation.objects.select_related("prompt"), pk=pk)
    if not can_delete(request.user, generation):
        raise PermissionDenied("Only its author or an admin can delete this generation.")
    delete_generation(generation)
    messages.success(request, f"Deleted generation #{pk} and its images.")
    return redirect("gallery:home")


def safe_next(request: HttpRequest, target: str | None) -> str | None:
    """``target`` when it is a URL on this site (safe to redirect to), else None."""
    hosts = {request.get_host()}
    if target and url_has_allowed_host_and_scheme(target, hosts, request.is_secure()):
        return target
    return None
