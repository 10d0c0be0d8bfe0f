"""One generation in full (detail view) and what can be done to it: star, pin, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from fluxweb.generations.models import Generation
from fluxweb.generations.services import delete_generation

from .access import can_delete, can_pin
from .models import Favourite


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """All images large, every parameter, costs, timings; download, copy, remix, delete."""
    generation = get_object_or_404(Generation.objects.for_gallery(), pk=pk)
    generation.is_favourite = Favourite.objects.filter(user=request.user, generation=generation).exists()
    return render(request, "gallery/detail.html", {
        "generation": generation,
        "images": list(generation.images.all()),
        "can_delete": can_delete(request.user, generation),
        "can_pin": can_pin(request.user),
        "back": _safe_next(request, request.GET.get("back")) or reverse("gallery:home"),
    })


@require_POST
def favourite(request: HttpRequest, pk: int) -> HttpResponse:
    """Star (``starred=1``) or unstar (``starred=0``) for the current user.
    HTMX: the star button in its new state; otherwise back to ``next``."""
    generation = get_object_or_404(Generation, pk=pk)
    generation.is_favourite = Favourite.set(request.user, generation, request.POST.get("starred") == "1")
    if request.htmx:
        return render(request, "gallery/_star.html", {"generation": generation})
    return redirect(_safe_next(request, request.POST.get("next")) or reverse("gallery:detail", args=[pk]))


@require_POST
def pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Pin (``pinned=1``) or unpin for the whole team: admins only (others 403)."""
    if not can_pin(request.user):
        raise PermissionDenied("Only admins can pin.")
    generation = get_object_or_404(Generation, pk=pk)
    generation.set_pinned(request.POST.get("pinned") == "1")
    if request.htmx:
        return render(request, "gallery/detail.html#pin", {"generation": generation, "can_pin": True})
    return redirect("gallery:detail", pk=pk)


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete the generation and its files: its author and admins only (others 403)."""
    generation = get_object_or_404(Generation.objects.select_related("prompt"), pk=pk)
    if not can_delete(request.user, generation):
        raise PermissionDenied("Only its author or an admin can delete this generation.")
    delete_generation(generation)
    messages.success(request, f"Deleted generation #{pk} and its images.")
    return redirect("gallery:home")


def _safe_next(request: HttpRequest, target: str | None) -> str | None:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None
