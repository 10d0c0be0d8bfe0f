"""One generation in full (detail view) and what can be done to it: pin, cancel, retry,
delete.

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
from django_htmx.http import reswap, retarget

from fluxweb.budgets.services import QuotaExceeded
from fluxweb.core.http import AuthenticatedHttpRequest, HtmxHttpRequest

from .access import can_cancel, can_delete, can_pin
from .models import Generation
from .services import RetryError, cancel_generation, delete_generation, retry_generation

CARD = "gallery/_card.html"


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """All images large, every parameter, costs, timings; download, copy, remix, delete.
    ``back`` (a same-site URL) is where Close goes; otherwise the gallery. 404 for an
    unknown ``pk``."""
    generation = get_object_or_404(Generation.objects.for_gallery(), pk=pk)
    return render(
        request,
        "generations/detail.html",
        {
            "generation": generation,
            "images": list(generation.images.all()),
            "can_delete": can_delete(request.user, generation),
            "can_pin": can_pin(request.user),
            "back": safe_next(request, request.GET.get("back")) or reverse("gallery:home"),
        },
    )


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
def cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Cancel a queued or running generation: its author and admins only (others 403).
    A queued one is never sent and is refunded in full; a running one is discarded when
    its provider answers and charged what the provider bills (services.cancel_generation).
    HTMX: its card in the new state, replacing the card in the page (``#generation-<pk>``);
    otherwise a redirect to ``next`` (a same-site URL) or the gallery."""
    generation = get_object_or_404(Generation, pk=pk)
    if not can_cancel(request.user, generation):
        raise PermissionDenied("Only its author or an admin can cancel this generation.")
    cancelled = cancel_generation(generation, request.user)
    if request.htmx:
        return _card(request, pk)
    if cancelled and generation.status == Generation.Status.CANCELLED:
        messages.success(request, f"Cancelled generation #{pk}; its reservation was refunded.")
    elif cancelled:
        messages.success(
            request,
            f"Cancelling generation #{pk}: it is discarded when the provider answers, "
            "and charged what the provider bills.",
        )
    else:
        messages.info(request, f"Generation #{pk} had already finished.")
    return redirect(safe_next(request, request.POST.get("next")) or reverse("gallery:home"))


@require_POST
def retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Submit a generation's parameters again as a new generation by the current user
    (services.retry_generation): its author and admins only (others 403).
    HTMX: the new card, put on top of the gallery (``#gallery-cards``); when it cannot be
    retried (budget, model gone), the old card again with ``retry_error`` saying why.
    Otherwise a redirect to the gallery with a message."""
    generation = get_object_or_404(Generation.objects.select_related("prompt", "hold"), pk=pk)
    if not can_cancel(request.user, generation):
        raise PermissionDenied("Only its author or an admin can retry this generation.")
    try:
        submission = retry_generation(generation, request.user)
    except (QuotaExceeded, RetryError) as exc:
        if request.htmx:
            return _card(request, pk, retry_error=exc.message)
        messages.error(request, exc.message)
        return redirect(safe_next(request, request.POST.get("next")) or reverse("gallery:home"))
    if request.htmx:
        new = get_object_or_404(Generation.objects.for_gallery(), pk=submission.generation.pk)
        response = render(request, CARD, {"generation": new})
        return reswap(retarget(response, "#gallery-cards"), "afterbegin")
    messages.success(request, f"Retrying generation #{pk} as #{submission.generation.pk}.")
    return redirect("gallery:home")


def _card(request: HttpRequest, pk: int, **extra: object) -> HttpResponse:
    """Generation ``pk``'s gallery card, replacing the one in the page."""
    generation = get_object_or_404(Generation.objects.for_gallery(), pk=pk)
    response = render(request, CARD, {"generation": generation, **extra})
    return reswap(retarget(response, f"#generation-{pk}"), "outerHTML")


@require_POST
def delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Delete the generation and its files: its author and admins only (others 403)."""
    generation = get_object_or_404(Generation.objects.select_related("prompt"), pk=pk)
    if not can_delete(request.user, generation):
        raise PermissionDenied("Only its author or an admin can delete this generation.")
    delete_generation(generation, request.user)
    messages.success(request, f"Deleted generation #{pk} and its images.")
    return redirect("gallery:home")


def safe_next(request: HttpRequest, target: str | None) -> str | None:
    """``target`` when it is a URL on this site (safe to redirect to), else None."""
    hosts = {request.get_host()}
    if target and url_has_allowed_host_and_scheme(target, hosts, request.is_secure()):
        return target
    return None
