"""The star: one user's favourite mark on a generation."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fluxweb.core.http import AuthenticatedHttpRequest
from fluxweb.generations.models import Generation
from fluxweb.generations.pages import safe_next

from .models import Favourite


@require_http_methods(["GET", "POST"])
def favourite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: the star button of the current user (the detail page loads it by htmx).
    POST: star (``starred=1``) or unstar (``starred=0``); HTMX gets the star button in
    its new state, a plain form post goes back to ``next`` (same site) or the detail page.
    404 for an unknown ``pk``."""
    if request.method == "POST":
        wanted = request.POST.get("starred") == "1"
        Favourite.set(request.user, get_object_or_404(Generation, pk=pk), wanted)
        if not request.htmx:
            back = safe_next(request, request.POST.get("next"))
            return redirect(back or reverse("generations:detail", args=[pk]))
    mine = Favourite.objects.filter(user=request.user, generation=OuterRef("pk"))
    generation = get_object_or_404(Generation.objects.annotate(is_favourite=Exists(mine)), pk=pk)
    return render(request, "gallery/_star.html", {"generation": generation})
