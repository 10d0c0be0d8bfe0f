"""Live gallery: how finished work reaches every open browser.

Each web process runs one :class:`LiveHub` while at least one browser is connected. The
hub asks the database every ``FLUXWEB_LIVE_POLL_INTERVAL`` seconds which generations
changed (one indexed query on ``updated_at``, whatever the number of browsers), renders
each changed card once (into the card cache that the pages read too, see
fluxweb/gallery/cards.py) and hands the HTML to every connected SSE stream. Because the
database is the only channel, web processes on any number of machines see every change
made by any worker; there is no in-memory state to share between them. On PostgreSQL a
NOTIFY from a trigger on the generations table (fluxweb/ops/notify.py) wakes the hub at
once, so it looks right after each change and otherwise only every
``FLUXWEB_LIVE_NOTIFY_FALLBACK`` seconds; still one query per wake per process, and at
most one per ``FLUXWEB_LIVE_MIN_GAP`` seconds.

``updated_at`` comes from the database clock and is written inside each transaction, so
a row can commit slightly after a later-stamped one. The hub therefore re-reads a short
overlap window behind its cursor and drops versions it has already sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from fluxweb.generations.models import Generation
from fluxweb.ops import notify

from .cards import render_card, render_each  # noqa: F401 (render_card: one card, as the stream sends it)

logger = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=3)
MAX_EVENTS_PER_POLL = 200


@dataclass(frozen=True)
class CardEvent:
    """A generation's card as it is now; ``version`` is its ``updated_at``."""

    generation_id: int
    version: datetime
    html: str

    def encode(self) -> str:
        """The SSE wire form: ``id`` is the version (browsers echo it as Last-Event-ID)."""
        data = "\n".join(f"data: {line}" for line in self.html.strip().splitlines())
        return f"id: {self.version.isoformat()}\nevent: generation\n{data}\n\n"


def changes_since(cursor: datetime | None, limit: int = MAX_EVENTS_PER_POLL) -> list[CardEvent]:
    """Cards of generations whose ``updated_at`` is after ``cursor`` minus the overlap,
    oldest change first. ``cursor=None`` means "nothing yet"."""
    queryset = Generation.objects.for_gallery().order_by("updated_at", "id")
    if cursor is not None:
        queryset = queryset.filter(updated_at__gt=cursor - OVERLAP)
    generations = list(queryset[:limit])
    # The same cached rendering as the pages (cards.py): a card rendered here for the
    # stream is the one every page load serves afterwards, and vice versa.
    return [CardEvent(g.pk, g.updated_at, html) for g, html in zip(generations, render_each(generations), strict=True)]


def latest_version() -> datetime | None:
    """The newest ``updated_at`` in the table: where a fresh page's stream starts."""
    return Generation.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()


class LiveHub:
    """Fans generation changes out to subscribed SSE streams (one hub per process)."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[CardEvent]] = set()
        self._task: asyncio.Task[None] | None = None
        # One thread of its own, so the hub keeps one database connection whatever
        # request happened to start it.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-hub")

    async def subscribe(self) -> asyncio.Queue[CardEvent]:
        queue: asyncio.Queue[CardEvent] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), context=contextvars.Context())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[CardEvent]) -> None:
        self.subscribers.discard(queue)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        listener = None
        if notify.available():
            listener = notify.Listener([notify.GENERATIONS], lambda: loop.call_soon_threadsafe(wake.set))
            listener.start()
        try:
            await self._fan_out(loop, wake, listener)
        finally:
            if listener:
                listener.stop()

    async def _fan_out(self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event,
                       listener: notify.Listener | None) -> None:
        cursor = await loop.run_in_executor(self._executor, self._latest)
        sent: dict[int, datetime] = {}
        while self.subscribers:
            listening = listener is not None and listener.connected.is_set()
            timeout = settings.FLUXWEB_LIVE_NOTIFY_FALLBACK if listening else settings.FLUXWEB_LIVE_POLL_INTERVAL
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except TimeoutError:
                pass
            wake.clear()  # before the query: a change committed during it wakes us again
            events = await loop.run_in_executor(self._executor, self._poll, cursor)
            for event in events:
                previous = sent.get(event.generation_id)
                if previous is not None and previous >= event.version:
                    continue
                sent[event.generation_id] = event.version
                cursor = max(cursor, event.version) if cursor else event.version
                for queue in list(self.subscribers):
                    if queue.full():  # a stuck client must not hold the others back
                        self.unsubscribe(queue)
                    else:
                        queue.put_nowait(event)
            if cursor is not None:
                horizon = cursor - OVERLAP * 2
                sent = {pk: version for pk, version in sent.items() if version > horizon}
            await asyncio.sleep(settings.FLUXWEB_LIVE_MIN_GAP)

    def _latest(self) -> datetime | None:
        close_old_connections()
        return latest_version()

    def _poll(self, cursor: datetime | None) -> list[CardEvent]:
        try:
            return changes_since(cursor)
        except DatabaseError:
            logger.warning("live hub: database error, retrying next tick", exc_info=True)
            connection.close()
            return []


hub = LiveHub()
