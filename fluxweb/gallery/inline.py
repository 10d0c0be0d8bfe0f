"""Thumbnails carried inside the live stream's cards of just-finished generations.

A card the stream sends when a generation succeeds names its thumbnail by URL, so every
open gallery then asks the web process for the file: a second round trip (session, user,
image row, file) between "the card is in the page" and "the image is visible", measured
at 12–25 ms of bench/latency.py's overhead. For a generation that finished moments ago,
the hub (fluxweb/gallery/live.py) instead reads each small thumbnail once and sends it in
the card as a ``data:`` URI (the CSP allows ``img-src data:``), so the image shows as soon
as the card is swapped in, and N open galleries cost one storage read instead of N
requests. Only the streamed copy changes: the cached card that pages serve keeps the URL
(a 48-card page must stay light, and the browser caches the URL).

Bounds: thumbnails of at most ``FLUXWEB_LIVE_INLINE_THUMBNAIL_BYTES`` bytes (0 turns this
off), generations that finished within ``FRESH`` of the hub's look, and at most
``MAX_INLINE_PER_LOOK`` thumbnails per look (a burst of finishing work must not hold the
hub up on storage reads; the rest keep their URL). The reads run in parallel on a small
pool of their own and the hub waits at most ``READ_TIMEOUT`` seconds for them in all: a
slow or hanging storage (S3 having a bad minute) must not stall every open gallery's
stream. A thumbnail that cannot be read in time, or at all, keeps its URL.
"""

from __future__ import annotations

import base64
import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from fluxweb.generations.models import Generation
from fluxweb.generations.thumbnails import CONTENT_TYPE

from .templatetags.gallery_urls import pk_url

logger = logging.getLogger(__name__)

FRESH = timedelta(seconds=60)
MAX_INLINE_PER_LOOK = 16
READ_TIMEOUT = 0.5  # seconds the hub waits for one look's thumbnail reads, all together

# Storage reads off the hub's own thread, so that a hanging one can be given up on.
_readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="inline-thumbnail")


def thumbnail_data_uri(image, limit: int) -> str | None:
    """``data:image/webp;base64,…`` of ``image``'s (a :class:`GeneratedImage`) thumbnail,
    or None when it has none, is over ``limit`` bytes, or cannot be read from storage."""
    if not image.thumbnail:
        return None
    try:
        with image.thumbnail.storage.open(image.thumbnail.name, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        logger.warning("live stream: could not read thumbnail %s", image.thumbnail.name, exc_info=True)
        return None
    if len(data) > limit:
        return None
    return f"data:{CONTENT_TYPE};base64,{base64.b64encode(data).decode('ascii')}"


def inline_fresh_thumbnails(generations: list[Generation], cards: list[str], now: datetime | None = None) -> list[str]:
    """``cards`` (the HTML of each of ``generations``, as the stream sends it) with the
    thumbnail URLs of freshly succeeded generations replaced by ``data:`` URIs, within the
    bounds in this module's docstring. ``generations`` need their images prefetched."""
    limit = settings.FLUXWEB_LIVE_INLINE_THUMBNAIL_BYTES
    if limit <= 0:
        return cards
    now = now or timezone.now()
    reads: list[tuple[int, str, Future[str | None]]] = []  # (card index, its thumbnail URL, read)
    for index, generation in enumerate(generations):
        if (generation.status != Generation.Status.SUCCEEDED or generation.finished_at is None
                or now - generation.finished_at > FRESH):
            continue
        for image in generation.images.all():
            if len(reads) >= MAX_INLINE_PER_LOOK:
                break
            if image.thumbnail:
                url = pk_url("gallery:thumbnail", image.pk)
                reads.append((index, url, _readers.submit(thumbnail_data_uri, image, limit)))
    if not reads:
        return cards
    done, _ = wait([read for _, _, read in reads], timeout=READ_TIMEOUT)
    result = list(cards)
    for index, url, read in reads:
        uri = read.result() if read in done else None
        if uri is not None:
            result[index] = result[index].replace(f'src="{url}"', f'src="{uri}"', 1)
    if len(done) < len(reads):
        logger.warning("live stream: %d thumbnail read(s) took over %.1f s; sent by URL",
                       len(reads) - len(done), READ_TIMEOUT)
    return result
