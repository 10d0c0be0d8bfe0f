"""How an API request waits for its generation without using CPU or a database connection.

Each web process (each event loop) has one :class:`FinishWatch`. A request registers the
generation id it waits for and sleeps on an :class:`asyncio.Future`. On PostgreSQL the watch
listens for :data:`~fluxweb.queue.notify.FINISHED`, which a trigger sends with the id of each
generation that finishes or is deleted (generations' migration 0004), and wakes that id's
requests without a query; ids notified shortly before their request registered are
remembered for :data:`RECENT` seconds. A look (one query for all registered ids) covers
what notifications cannot: the first registrations while the listener connects, every
(re)connection, and a slow fallback while listening. Elsewhere (SQLite,
``FLUXWEB_PG_NOTIFY=0``, the listener's connection down) looks are a short poll, still one
query per process per look, however many requests wait. Looks are at least :data:`MIN_GAP`
seconds apart, so a burst of registrations costs one query.

While nobody waits the task sleeps; after :data:`IDLE_STOP` idle seconds it stops and its
listener connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, close_old_connections, connection

from fluxweb.generations.models import Generation
from fluxweb.queue import notify
from fluxweb.queue.connections import release_connection

logger = logging.getLogger(__name__)

MIN_GAP = 0.01  # seconds between two looks
POLL = 0.05  # seconds between looks without NOTIFY
FALLBACK = 2.0  # seconds between looks while NOTIFY is listening (a lost notification)
IDLE_STOP = 60.0  # seconds without waiters before the task and its listener stop
RECENT = 30.0  # seconds a finish notification is kept for a request that registers late


def finished_or_gone(ids: list[int]) -> set[int]:
    """Those of generation ``ids`` that finished (succeeded or failed) or no longer exist
    (one query)."""
    unfinished = Generation.objects.filter(pk__in=ids).exclude(status__in=Generation.FINISHED)
    return set(ids) - set(unfinished.values_list("pk", flat=True))


def close_connection() -> None:
    """Close the calling thread's connection (``connection.close`` as a bound method
    would be looked up in the thread that hands it over)."""
    connection.close()


class FinishWatch:
    """Wakes waiting requests when their generation finishes; one per event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiters: dict[int, list[asyncio.Future[None]]] = {}
        self.wake = asyncio.Event()
        self.recent: dict[int, float] = {}  # id → loop time its finish was notified
        self.look_now = False  # a look is wanted before the next fallback or poll
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._listener: notify.Listener | None = None

    async def wait(self, generation_id: int, timeout: float) -> bool:
        """Return once generation ``generation_id`` finished or is gone (True), or after
        ``timeout`` seconds (False), whichever is first: at once when its finish was
        notified already; without a listener, the first look is at once."""
        if generation_id in self.recent:  # notified before this request registered
            return True
        future: asyncio.Future[None] = self.loop.create_future()
        self.waiters.setdefault(generation_id, []).append(future)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run(), context=contextvars.Context())
        if not self._listening():
            self.look_now = True  # no notification will come for it
        self.wake.set()
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            futures = self.waiters.get(generation_id, [])
            if future in futures:
                futures.remove(future)
            if not futures:
                self.waiters.pop(generation_id, None)

    async def _run(self) -> None:
        # One thread of its own while running: looks never queue behind requests' work.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-wait")
        if notify.available():
            self._listener = notify.Listener(
                [notify.FINISHED], self._notified_finished, on_connect=self._notified
            )
            self._listener.start()
        try:
            await self._watch()
        finally:
            if self._listener is not None:
                self._listener.stop()
                self._listener = None
            self.recent.clear()  # not listening any more: nothing new gets in
            # Awaited (also when cancelled as the loop ends): the thread's connection is
            # closed before the loop is.
            await asyncio.shield(self.loop.run_in_executor(self._executor, close_connection))
            self._executor.shutdown(wait=False)

    def _listening(self) -> bool:
        return self._listener is not None and self._listener.connected.is_set()

    def _notified(self) -> None:
        """From the listener's thread, on (re)connecting: anything may have finished
        meanwhile, look soon."""
        with contextlib.suppress(RuntimeError):  # the loop closed (a test's), its task with it
            self.loop.call_soon_threadsafe(self._look_soon)

    def _look_soon(self) -> None:
        self.look_now = True
        self.wake.set()

    def _notified_finished(self, payload: str) -> None:
        """From the listener's thread: generation ``payload`` (its id) finished or is gone."""
        if not payload.isdigit():
            return
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._finished, int(payload))

    def _finished(self, generation_id: int) -> None:
        now = self.loop.time()
        self.recent.pop(generation_id, None)  # re-inserted last: the dict stays oldest first
        self.recent[generation_id] = now
        while now - next(iter(self.recent.values())) >= RECENT:  # drop the expired, oldest first
            del self.recent[next(iter(self.recent))]
        self._wake_waiters({generation_id})

    def _wake_waiters(self, done: set[int]) -> None:
        for generation_id in done:
            for future in self.waiters.pop(generation_id, []):
                if not future.done():
                    future.set_result(None)

    async def _watch(self) -> None:
        assert self._executor is not None
        last_look = -math.inf
        idle_since = self.loop.time()
        while True:
            now = self.loop.time()
            if not self.waiters:
                if now - idle_since >= IDLE_STOP:
                    return
                timeout = IDLE_STOP - (now - idle_since)
            elif self.look_now:
                timeout = 0.0
            else:  # the next fallback look (listening) or poll (not)
                timeout = max(0.0, last_look + self._gap() - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)
            self.wake.clear()
            if not self.waiters:
                continue
            if not self.look_now and self.loop.time() < last_look + self._gap():
                continue  # registered while listening: its notification wakes it
            rest = last_look + MIN_GAP - self.loop.time()
            if rest > 0:
                await asyncio.sleep(rest)
            self.look_now = False  # before the look: a reason to look during it looks again
            last_look = self.loop.time()
            ids = list(self.waiters)
            self._wake_waiters(await self.loop.run_in_executor(self._executor, self._look, ids))
            idle_since = self.loop.time()

    def _gap(self) -> float:
        """Seconds between looks: the fallback while listening, else the poll."""
        return FALLBACK if self._listening() else POLL

    def _look(self, ids: list[int]) -> set[int]:
        close_old_connections()
        try:
            return finished_or_gone(ids)
        except DatabaseError:
            logger.warning(
                "API wait: database error, looking again at the next tick", exc_info=True
            )
            connection.close()
            return set()
        finally:
            release_connection()


_watches: dict[asyncio.AbstractEventLoop, FinishWatch] = {}


async def wait_until_finished(generation_id: int, timeout: float) -> bool:
    """Sleep until generation ``generation_id`` succeeded, failed or was deleted (True),
    at most ``timeout`` seconds (False); no CPU and no database connection of the
    caller's while asleep."""
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        for old in [old for old in _watches if old.is_closed()]:
            del _watches[old]
        watch = _watches[loop] = FinishWatch(loop)
    return await watch.wait(generation_id, timeout)
