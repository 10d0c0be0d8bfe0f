"""Database connections of a worker process: a fixed number, whatever the threads.

Without a pool (``DJANGO_DB_POOL_MAX_SIZE=0``) each thread keeps one connection of its
own between tasks (:func:`keep_connections`). With a pool, the threads share at most
``DJANGO_DB_POOL_MAX_SIZE`` connections: a thread takes one for its database work and gives
it back between tasks, and around a provider call (:func:`release_connection`), so a
worker running many slow calls at once needs only as many connections as threads that
are reading or writing at the same moment.
"""

from __future__ import annotations

from django.db import connection, connections


def pooled(alias: str = "default") -> bool:
    """Whether database ``alias`` uses psycopg's connection pool."""
    return bool(connections.settings[alias].get("OPTIONS", {}).get("pool"))


def keep_connections() -> None:
    """Reuse each thread's database connection between tasks (a long-lived process: no
    reconnect per poll); broken ones are still replaced. Not with the psycopg pool, which
    already reuses connections."""
    for alias in connections:
        if not pooled(alias):
            conf = connections.settings[alias]
            conf["CONN_MAX_AGE"] = None
            conf["CONN_HEALTH_CHECKS"] = True


def release_connection() -> None:
    """Give this thread's connection back to the pool while it waits on something else (a
    provider call): with a pool and outside a transaction only; otherwise nothing (a kept
    connection is cheaper than a new one)."""
    if pooled() and not connection.in_atomic_block:
        connection.close()
