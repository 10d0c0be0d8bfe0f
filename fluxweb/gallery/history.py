"""The shared prompt history: every distinct prompt, who used it, when, its latest images."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from fluxweb.core.http import AuthenticatedHttpRequest

from .filters import FilterForm
from .keyset import Cursor
from .queries import HISTORY_PAGE_SIZE, history_page


@require_GET
@vary_on_headers("HX-Request")
def prompts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The history page, filtered like the gallery; HTMX gets only the results partial."""
    context = _context(request)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "gallery/prompts.html#results", context)
    return render(request, "gallery/prompts.html", context)


@require_GET
def prompts_page(request: HttpRequest) -> HttpResponse:
    """The next page of prompts plus the next "load more" link (infinite scroll)."""
    return render(request, "gallery/_prompt_page.html", _context(request))


def _context(request: HttpRequest) -> dict[str, Any]:
    filters = FilterForm(request.GET)
    cursor = Cursor.decode(request.GET.get("cursor"))
    page = history_page(request.user, filters, cursor, HISTORY_PAGE_SIZE)
    next_query = filters.query_string(cursor=page.next_cursor.encode()) if page.next_cursor else ""
    return {"filters": filters, "page": page, "cursor": cursor, "next_query": next_query}
