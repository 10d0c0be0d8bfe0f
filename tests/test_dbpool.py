"""The pool's connection test (fluxweb/core/dbpool.py): a round trip only when it can tell
something, and a connection the server closed is never handed out. PostgreSQL only."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from fluxweb.core import dbpool
from tests.processes import database_url

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="psycopg's pool"),
]


@pytest.fixture
def conn() -> Iterator[psycopg.Connection]:
    url = database_url().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as opened:
        yield opened


@pytest.fixture
def round_trips(monkeypatch) -> list[psycopg.Connection]:
    """The connections the full test (psycopg_pool's empty query) ran on."""
    ran: list[psycopg.Connection] = []
    full = dbpool.ConnectionPool.check_connection

    def counted(conn: psycopg.Connection) -> None:
        ran.append(conn)
        full(conn)

    monkeypatch.setattr(dbpool.ConnectionPool, "check_connection", staticmethod(counted))
    return ran


def test_a_connection_just_returned_is_handed_out_without_a_round_trip(conn, round_trips):
    dbpool.mark_returned(conn)
    dbpool.check_connection(conn)
    assert round_trips == []


def test_a_connection_idle_for_long_or_never_returned_is_tested(conn, round_trips, monkeypatch):
    dbpool.check_connection(conn)  # never returned: its idle time is unknown
    dbpool.mark_returned(conn)
    later = time.monotonic() + dbpool.IDLE_CHECK_AFTER + 1
    monkeypatch.setattr(dbpool, "monotonic", lambda: later)
    dbpool.check_connection(conn)
    assert round_trips == [conn, conn]


def test_a_connection_the_server_closed_fails_the_test_even_when_just_returned(conn, round_trips):
    dbpool.mark_returned(conn)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
    deadline = time.monotonic() + 5
    with pytest.raises(psycopg.OperationalError):
        while time.monotonic() < deadline:  # the notice and the end of stream arrive soon
            dbpool.check_connection(conn)
            time.sleep(0.01)
    assert round_trips == [conn]


def test_the_test_works_for_a_connection_on_a_descriptor_above_1024(round_trips):
    # select() refuses descriptors above FD_SETSIZE (1024); a web process holding many
    # open streams has such descriptors, and its connections must still be handed out.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("the open-files limit is below 1200")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    fillers = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        url = database_url().replace("postgres://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as high:
            assert high.pgconn.socket > 1024
            dbpool.mark_returned(high)
            dbpool.check_connection(high)
            assert round_trips == []
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
