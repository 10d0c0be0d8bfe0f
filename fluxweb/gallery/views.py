"""Gallery views: the home page (form + shared gallery), one card, images, live stream."""

from __future__ import annotations

import asyncio
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from fluxweb.generations.forms import GenerationForm
from fluxweb.generations.models import GeneratedImage, Generation

from .live import changes_since, hub, latest_version

PAGE_SIZE = 48


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The generation form above the shared gallery, newest first."""
    return render(request, "gallery/home.html", gallery_context(GenerationForm()))


def gallery_context(form: GenerationForm) -> dict[str, object]:
    """What the home page needs; also used to re-render it with a form's errors."""
    latest = latest_version()
    return {
        "form": form,
        "generations": Generation.objects.for_gallery()[:PAGE_SIZE],
        "live_since": latest.isoformat() if latest else "",
    }


@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    """One gallery card, as the live stream sends it."""
    generation = get_object_or_404(Generation.objects.for_gallery(), pk=pk)
    return render(request, "gallery/_card.html", {"generation": generation})


@require_GET
def image(request: HttpRequest, pk: int) -> FileResponse:
    """An image file, only to logged-in users (the storage itself is never public).

    Streamed from the default storage, also when that is a private S3 bucket, rather than
    redirecting to a presigned URL: the Content-Security-Policy stays ``img-src 'self'``,
    no bucket URL ever reaches a browser, and any S3-compatible store works the same.
    """
    record = get_object_or_404(GeneratedImage, pk=pk)
    response = FileResponse(record.file.open("rb"), content_type=record.content_type)
    response["Cache-Control"] = "private, max-age=86400, immutable"
    return response


async def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-Sent Events: every generation change as a rendered card (event
    ``generation``). Replays changes after ``Last-Event-ID`` (or ``?since=``, the
    version the page was rendered at) so nothing is lost between page load, connect
    and reconnects."""
    since = _parse_version(request.headers.get("Last-Event-ID") or request.GET.get("since", ""))
    queue = await hub.subscribe()
    backlog = await sync_to_async(changes_since)(since) if since else []

    async def stream():
        try:
            yield "retry: 2000\n\n"
            for event in backlog:
                if event.version > since:
                    yield event.encode()
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=settings.FLUXWEB_LIVE_KEEPALIVE)
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


def _parse_version(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
