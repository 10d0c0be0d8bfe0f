"""How an API request waits for its generation without using CPU or a database connection.

Each web process (each event loop) has one :class:`FinishWatch`. A request registers the
generation id it waits for and sleeps on an :class:`asyncio.Future`; one task per loop looks
up all registered ids in one query whenever something may have changed and wakes the
requests whose generation finished (or no longer exists). On PostgreSQL "something may
have changed" is the ``NOTIFY`` that the generations tables' trigger sends (the live
gallery's signal, :mod:`fluxweb.queue.notify`), with a slow fallback look while listening;
elsewhere (SQLite, ``FLUXWEB_PG_NOTIFY=0``, the listener's connection down) it is a short
poll, still one query per process per look, however many requests wait. Looks are at
least :data:`MIN_GAP` seconds apart, so a burst of changes costs one query.

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
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def wait(self, generation_id: int, timeout: float) -> bool:
        """Return once generation ``generation_id`` finished or is gone (True), or after
        ``timeout`` seconds (False), whichever is first. The first look is at once."""
        future: asyncio.Future[None] = self.loop.create_future()
        self.waiters.setdefault(generation_id, []).append(future)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run(), context=contextvars.Context())
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
        listener = None
        if notify.available():
            listener = notify.Listener(
                [notify.GENERATIONS], self._notified, on_connect=self._notified
            )
            listener.start()
        try:
            await self._watch(listener)
        finally:
            if listener is not None:
                listener.stop()
            # Awaited (also when cancelled as the loop ends): the thread's connection is
            # closed before the loop is.
            await asyncio.shield(self.loop.run_in_executor(self._executor, close_connection))
            self._executor.shutdown(wait=False)

    def _notified(self) -> None:
        """From the listener's thread: something changed, look soon."""
        with contextlib.suppress(RuntimeError):  # the loop closed (a test's), its task with it
            self.loop.call_soon_threadsafe(self.wake.set)

    async def _watch(self, listener: notify.Listener | None) -> None:
        assert self._executor is not None
        last_look = -math.inf
        idle_since = self.loop.time()
        while True:
            if not self.waiters:
                if self.loop.time() - idle_since >= IDLE_STOP:
                    return
                timeout = IDLE_STOP
            else:
                listening = listener is not None and listener.connected.is_set()
                timeout = FALLBACK if listening else POLL
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)
            if not self.waiters:
                self.wake.clear()
                continue
            rest = last_look + MIN_GAP - self.loop.time()
            if rest > 0:
                await asyncio.sleep(rest)
            self.wake.clear()  # before the look: a change committed during it wakes us again
            last_look = self.loop.time()
            ids = list(self.waiters)
            done = await self.loop.run_in_executor(self._executor, self._look, ids)
            for generation_id in done:
                for future in self.waiters.pop(generation_id, []):
                    if not future.done():
                        future.set_result(None)
            idle_since = self.loop.time()

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
