"""The test psycopg's connection pool runs before it hands out a connection.

psycopg_pool's own ``ConnectionPool.check_connection`` sends an empty query: a round trip
each time a thread takes a connection, and a generation takes one about five times (submit,
the worker's claim, its run before and after the provider call, the API answer).
:func:`check_connection` makes that round trip only when it can tell something: for a
connection idle longer than :data:`IDLE_CHECK_AFTER` seconds (a network path or a server
idle timeout may have dropped it silently), or one with something to read while idle, which
is what a closed connection has (the server's "terminating connection" notice of a restart
or ``pg_terminate_backend``, or the end of the stream). Measured with bench/api.py
(docs/speed.md, "Three statements and five round trips fewer").
"""

from __future__ import annotations

import math
import select
from time import monotonic

from psycopg import Connection
from psycopg_pool import ConnectionPool

# Seconds a pooled connection may sit idle and still be handed out without a round trip.
IDLE_CHECK_AFTER = 5.0

_RETURNED_AT = "_fluxweb_returned_at"


def mark_returned(conn: Connection) -> None:
    """The pool's ``reset`` callback: note when ``conn`` came back (``monotonic()``)."""
    setattr(conn, _RETURNED_AT, monotonic())


def check_connection(conn: Connection) -> None:
    """The pool's ``check`` callback: raise psycopg's error when ``conn`` does not work
    (the pool then replaces it). A round trip only when ``conn`` was idle more than
    :data:`IDLE_CHECK_AFTER` seconds (or never returned yet), or has data waiting."""
    if conn.closed or monotonic() - getattr(conn, _RETURNED_AT, -math.inf) > IDLE_CHECK_AFTER:
        ConnectionPool.check_connection(conn)
        return
    # poll, not select: a web process holding many streams has descriptors above 1024.
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    if poller.poll(0):  # something to read (or a hang-up) while idle: test it for real
        ConnectionPool.check_connection(conn)
