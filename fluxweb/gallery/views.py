"""Gallery views: the home page (form + filtered shared gallery, infinite scroll), one
card, and the live stream. Files are in files.py, the star in stars.py, the prompt
history in history.py; a generation's own pages are in fluxweb/generations/pages.py."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from fluxweb.core.http import AuthenticatedHttpRequest
from fluxweb.core.parsing import parse_datetime, parse_id
from fluxweb.generations.forms import GenerationForm
from fluxweb.generations.models import Generation, Prompt

from .filters import FilterForm
from .keyset import Cursor
from .live import changes_since, hub, latest_version
from .queries import PAGE_SIZE, gallery_page, neighbour


@require_GET
@vary_on_headers("HX-Request")
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The generation form above the shared gallery, newest first, filtered by the URL's
    query (see FilterForm); ``cursor`` starts after a given card (the no-JS "older" link);
    ``remix=<generation id>`` / ``reuse=<prompt id>`` prefill the form.

    HTMX requests (the filter form) get only the results partial; history restores get
    the whole page.
    """
    form, remix_of = prefilled_form(request)
    context = gallery_context(request, form)
    context["remix_of"] = remix_of
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "gallery/home.html#results", context)
    return render(request, "gallery/home.html", context)


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    """The next page of cards plus the next "load more" link (infinite scroll)."""
    filters = FilterForm(request.GET)
    cursor = Cursor.decode(request.GET.get("cursor"))
    return render(request, "gallery/_page.html", page_context(request, filters, cursor))


def prefilled_form(request: HttpRequest) -> tuple[GenerationForm, Generation | None]:
    """The generation form, prefilled from ``?remix=<generation id>`` (every parameter,
    seed included) or ``?reuse=<prompt id>`` (the prompt text); unknown ids are ignored."""
    remix, reuse = parse_id(request.GET.get("remix")), parse_id(request.GET.get("reuse"))
    if remix is not None:
        generation = Generation.objects.select_related("prompt").filter(pk=remix).first()
        if generation is not None:
            values = {k: v for k, v in generation.form_values().items() if v is not None}
            return GenerationForm(initial=values), generation
    if reuse is not None:
        prompt = Prompt.objects.filter(pk=reuse).first()
        if prompt is not None:
            return GenerationForm(initial={"prompt": prompt.text}), None
    return GenerationForm(), None


def page_context(
    request: HttpRequest, filters: FilterForm, cursor: Cursor | None
) -> dict[str, Any]:
    page = gallery_page(request.user, filters, cursor, PAGE_SIZE)
    next_query = filters.query_string(cursor=page.next_cursor.encode()) if page.next_cursor else ""
    return {"filters": filters, "page": page, "cursor": cursor, "next_query": next_query}


def gallery_context(request: HttpRequest, form: GenerationForm) -> dict[str, object]:
    """What the home page needs, with ``form`` as its generation form."""
    filters = FilterForm(request.GET)
    cursor = Cursor.decode(request.GET.get("cursor"))
    latest = latest_version()
    return {
        "form": form,
        **page_context(request, filters, cursor),
        # New cards from the live stream go on top only of the unfiltered first page.
        "live_insert": not filters.is_filtered and cursor is None,
        "live_since": latest.isoformat() if latest else "",
        # The form's estimate and budget line load by htmx, keeping the page's queries down.
        "defer_estimate": True,
    }


@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    """One gallery card, as the live stream sends it."""
    generation = get_object_or_404(Generation.objects.for_gallery(), pk=pk)
    return render(request, "gallery/_card.html", {"generation": generation})


@require_GET
def step(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    """Redirect to the detail page of the generation after (``direction="next"``) or before
    (``"previous"``) generation ``pk`` in the gallery's order under the filters in the query
    string, carrying those filters (and a same-site ``back``) along. At either end: back to
    ``pk``'s own page with a message. 404 for an unknown direction."""
    if direction not in ("next", "previous"):
        raise Http404("Unknown direction.")
    filters = FilterForm(request.GET)
    target = neighbour(request.user, filters, pk, direction)
    if target is None:
        get_object_or_404(Generation.objects.for_gallery(), pk=pk)
        at_end = "This is the newest one." if direction == "previous" else "This is the last one."
        messages.info(request, at_end)
        target = pk
    back = request.GET.get("back", "")
    extra = {"back": back} if back.startswith("/") and not back.startswith("//") else {}
    query = filters.query_string(**extra)
    return redirect(reverse("generations:detail", args=[target]) + (f"?{query}" if query else ""))


async def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-Sent Events: every generation change as a rendered card (event
    ``generation``). Replays changes after ``Last-Event-ID`` (or ``?since=``, the
    version the page was rendered at) so nothing is lost between page load, connect
    and reconnects."""
    since = parse_datetime(request.headers.get("Last-Event-ID") or request.GET.get("since"))
    queue = await hub.subscribe()
    backlog = await sync_to_async(changes_since)(since) if since else []
    # The stream itself never touches the database (the hub has its own connection), but the
    # connection this request's middleware opened would otherwise stay checked out until the
    # stream ends: with the web process's connection pool, a few open galleries would take
    # every pooled connection and block all other requests.
    await sync_to_async(connections.close_all)()

    async def stream():
        try:
            yield "retry: 2000\n\n"
            for event in backlog:
                if since is not None and event.version > since:
                    yield event.encode()
            while True:
                try:
                    event = await asyncio.wait_for(
                        queue.get(), timeout=settings.FLUXWEB_LIVE_KEEPALIVE
                    )
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield event.encode()
        finally:
            hub.unsubscribe(queue)

    return StreamingHttpResponse(
        stream(),
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
