"""Live gallery: how finished work reaches every open browser.

Each web process runs one :class:`LiveHub` while at least one browser is connected. The
hub asks the database every ``FLUXWEB_LIVE_POLL_INTERVAL`` seconds which generations
changed (an indexed query on ``updated_at``, whatever the number of browsers), renders
each changed card once (gallery/_card.html, whose finished cards' content goes into the
card cache that the pages read too) and hands the HTML to every connected SSE stream. Deleted
generations are read the same way from ``GenerationDeletion`` (a second query) and sent as
``deleted`` events, so open galleries drop the card. Because the
database is the only channel, web processes on any number of machines see every change
made by any worker; there is no in-memory state to share between them. On PostgreSQL a
NOTIFY from a trigger on the generations table (fluxweb/ops/notify.py) wakes the hub at
once, so it looks right after each change and otherwise only every
``FLUXWEB_LIVE_NOTIFY_FALLBACK`` seconds; still one look (its two queries) per wake per
process, and at most one per ``FLUXWEB_LIVE_MIN_GAP`` seconds (a wake within the gap after a
look waits for the rest of it; a wake after a quiet spell looks at once). Only card versions
not yet sent are rendered.

``updated_at`` comes from the database clock and is written inside each transaction, so
a row can commit slightly after a later-stamped one. The hub therefore re-reads a short
overlap window behind its cursor and drops versions it has already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, models
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string

from fluxweb.generations.models import Generation, GenerationDeletion
from fluxweb.queue import notify

logger = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=3)
MAX_EVENTS_PER_POLL = 200


GENERATION = "generation"  # SSE event: a card, new or changed
DELETED = "deleted"  # SSE event: the id of a card to remove


@dataclass(frozen=True)
class CardEvent:
    """A generation's card as it is now (``kind`` GENERATION; ``version`` is its
    ``updated_at``), or that it was deleted (``kind`` DELETED; ``version`` is when, and
    ``html`` is empty)."""

    generation_id: int
    version: datetime
    html: str
    kind: str = GENERATION

    def encode(self) -> str:
        """The SSE wire form: ``id`` is the version (browsers echo it as Last-Event-ID);
        a deletion's data is the card's element id, ``generation-<id>``."""
        if self.kind == DELETED:
            data = f"data: generation-{self.generation_id}"
        else:
            data = "\n".join(f"data: {line}" for line in self.html.strip().splitlines())
        return f"id: {self.version.isoformat()}\nevent: {self.kind}\n{data}\n\n"


def changes_since(
    cursor: datetime | None,
    limit: int = MAX_EVENTS_PER_POLL,
    sent: dict[tuple[str, int], datetime] | None = None,
) -> list[CardEvent]:
    """Cards of generations whose ``updated_at`` is after ``cursor`` minus the overlap, and
    deletions recorded since then, oldest first (two queries, more only after a burst).
    ``cursor=None`` means "nothing yet". Card versions already in ``sent`` (``(kind, id)`` →
    newest version sent, as the hub keeps it) are left out before rendering: the overlap
    re-reads them on every poll, and a burst of more than ``limit`` changes inside it is
    stepped over page by page (:func:`_unsent`) rather than read again forever."""
    sent = sent or {}
    # A compare batch's other cells fill its grid, not the wall (its cell 0 is its card).
    queryset = Generation.objects.for_gallery().on_wall().order_by("updated_at", "id")
    deletions = GenerationDeletion.objects.order_by("deleted_at", "id")
    if cursor is not None:
        queryset = queryset.filter(updated_at__gt=cursor - OVERLAP)
        deletions = deletions.filter(deleted_at__gt=cursor - OVERLAP)
    generations, read_to = _unsent(queryset, "updated_at", GENERATION, sent, limit)
    if read_to is not None:  # more changes wait: deletions after them come next time
        deletions = deletions.filter(deleted_at__lte=read_to)
    gone, _ = _unsent(deletions, "deleted_at", DELETED, sent, limit, key="generation_id")
    events = [CardEvent(g.pk, g.updated_at, render_card(g)) for g in generations]
    events += [CardEvent(d.generation_id, d.deleted_at, "", DELETED) for d in gone]
    return sorted(events, key=lambda event: event.version)


def _unsent[T: models.Model](
    rows: QuerySet[T],
    field: str,
    kind: str,
    sent: dict[tuple[str, int], datetime],
    limit: int,
    key: str = "pk",
) -> tuple[list[T], datetime | None]:
    """Up to ``limit`` of ``rows`` (ordered by ``field``, then id) whose version (``field``)
    is newer than the one ``sent`` holds for ``(kind, row.<key>)``, oldest first, and the
    version of the last row read when rows were left unread (else None). A page whose rows
    were all sent already is stepped over (keyset on ``field`` and id): re-reading the same
    first ``limit`` rows would hide every change after them."""
    page = list(rows[:limit])
    while True:
        unsent = [
            row
            for row in page
            if (previous := sent.get((kind, getattr(row, key)))) is None
            or previous < getattr(row, field)
        ]
        last = page[-1] if len(page) == limit else None
        if unsent or last is None:
            return unsent, getattr(last, field) if last is not None else None
        version = getattr(last, field)
        after = Q(**{f"{field}__gt": version}) | Q(**{field: version, "id__gt": last.pk})
        page = list(rows.filter(after)[:limit])


def render_card(generation: Generation) -> str:
    """The card of ``generation`` as the stream sends it to every browser: nobody's star
    (off, no CSRF token). Its finished content comes from the same cache as the pages'."""
    return render_to_string("gallery/_card.html", {"generation": generation})


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
            listener = notify.Listener(
                [notify.GENERATIONS], lambda _payload: loop.call_soon_threadsafe(wake.set)
            )
            listener.start()
        try:
            await self._fan_out(loop, wake, listener)
        finally:
            if listener:
                listener.stop()

    async def _fan_out(
        self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event, listener: notify.Listener | None
    ) -> None:
        cursor = await loop.run_in_executor(self._executor, self._latest)
        sent: dict[tuple[str, int], datetime] = {}
        last_query = -math.inf
        while self.subscribers:
            listening = listener is not None and listener.connected.is_set()
            timeout = (
                settings.FLUXWEB_LIVE_NOTIFY_FALLBACK
                if listening
                else settings.FLUXWEB_LIVE_POLL_INTERVAL
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)
            # At most one query per FLUXWEB_LIVE_MIN_GAP: a wake right after a query waits
            # out the rest of the gap (a burst of NOTIFYs costs one query), but the first
            # wake after a quiet spell queries at once.
            rest = last_query + settings.FLUXWEB_LIVE_MIN_GAP - loop.time()
            if rest > 0:
                await asyncio.sleep(rest)
            wake.clear()  # before the query: a change committed during it wakes us again
            woke, last_query = time.time(), loop.time()
            events = await loop.run_in_executor(self._executor, self._poll, cursor, dict(sent))
            queried = time.time()
            fresh = []
            for event in events:
                key = (event.kind, event.generation_id)
                previous = sent.get(key)
                if previous is not None and previous >= event.version:
                    continue
                fresh.append(event)
                sent[key] = event.version
                cursor = max(cursor, event.version) if cursor else event.version
                for queue in list(self.subscribers):
                    if queue.full():  # a stuck client must not hold the others back
                        self.unsubscribe(queue)
                    else:
                        queue.put_nowait(event)
            if fresh and logger.isEnabledFor(logging.DEBUG):  # bench/latency.py reads these
                logger.debug(
                    "live hub: woke=%.6f queried=%.6f sent=%.6f events=%s",
                    woke,
                    queried,
                    time.time(),
                    " ".join(f"{e.generation_id}@{e.version.isoformat()}" for e in fresh),
                )
            if cursor is not None:
                horizon = cursor - OVERLAP * 2
                sent = {key: version for key, version in sent.items() if version > horizon}

    def _latest(self) -> datetime | None:
        close_old_connections()
        return latest_version()

    def _poll(
        self, cursor: datetime | None, sent: dict[tuple[str, int], datetime]
    ) -> list[CardEvent]:
        try:
            return changes_since(cursor, sent=sent)
        except DatabaseError:
            logger.warning("live hub: database error, retrying next tick", exc_info=True)
            connection.close()
            return []


hub = LiveHub()
