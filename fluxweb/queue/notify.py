"""PostgreSQL LISTEN/NOTIFY: wake workers and live hubs at once instead of at their next poll.

The queue sends ``NOTIFY`` (:data:`TASKS`) in the transaction that inserts a ready task row
(:func:`wake_workers`, called by :func:`fluxweb.queue.enqueue.enqueue`); triggers on the
generations tables (generations' migrations) send :data:`GENERATIONS` when a generation
changes or is deleted, and :data:`FINISHED`, with the generation's id as payload, when one
finishes (succeeded, failed, cancelled) or is deleted. A process that wants to know starts
one :class:`Listener`: a daemon thread holding its own autocommit psycopg connection, which
calls the subscribed callback with each notification's payload from that thread. Receivers
treat a notification as a hint and have a fallback look, so a lost one only costs time.
On SQLite, or with ``FLUXWEB_PG_NOTIFY=0``, nothing listens and everyone polls as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connection as default_connection
from django.db import connections
from psycopg import conninfo as pg_conninfo
from psycopg import sql

logger = logging.getLogger(__name__)

TASKS = "fluxweb_tasks"
GENERATIONS = "fluxweb_generations"
FINISHED = "fluxweb_finished"  # payload: the generation's id (generations' migration 0004)
RECONNECT_DELAY = 1.0  # seconds between attempts after the connection broke


def available(alias: str = "default") -> bool:
    """Whether notifications can be used: PostgreSQL and ``FLUXWEB_PG_NOTIFY`` on."""
    return settings.FLUXWEB_PG_NOTIFY and connections[alias].vendor == "postgresql"


def wake_workers() -> None:
    """``NOTIFY`` :data:`TASKS` on the default connection: sent when the current
    transaction commits (at once in autocommit). PostgreSQL only."""
    with default_connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [TASKS])


def conninfo(alias: str = "default") -> str:
    """A libpq connection string for database ``alias`` (pool and Django options left out)."""
    conf = connections[alias].settings_dict
    params = {
        "dbname": conf["NAME"],
        "user": conf["USER"],
        "password": conf["PASSWORD"],
        "host": conf["HOST"],
        "port": conf["PORT"],
    }
    return pg_conninfo.make_conninfo(**{k: v for k, v in params.items() if v})


class Listener(threading.Thread):
    """Calls ``callback(payload)`` for each notification on ``channels`` (from this
    thread; ``payload`` is the notification's text, ``""`` for most channels).

    ``on_connect`` runs after every (re)connection: anything notified while the
    connection was down is lost, so receivers should look once more then.
    """

    def __init__(
        self,
        channels: list[str],
        callback: Callable[[str], object],
        alias: str = "default",
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name="pg-listener", daemon=True)
        self.channels, self.callback, self.on_connect = channels, callback, on_connect
        self._conninfo = conninfo(alias)
        self._stopping = threading.Event()
        self.connected = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    for channel in self.channels:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.connected.set()
                    if self.on_connect:
                        self.on_connect()
                    while not self._stopping.is_set():
                        for notification in conn.notifies(timeout=1.0):
                            self.callback(notification.payload)
            except psycopg.Error:
                logger.warning(
                    "LISTEN connection lost; polling only until it is back", exc_info=True
                )
            finally:
                self.connected.clear()
            self._stopping.wait(RECONNECT_DELAY)
