#!/usr/bin/env python
"""Live-stream cost: database queries per second of one web process with 50 idle browsers
(SSE streams on the gallery) connected, NOTIFY on (the default) and off, in one run.

    export BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench
    .venv/bin/python bench/live.py

Counted, not assumed: PostgreSQL's own per-database transaction counter
(``pg_stat_database.xact_commit + xact_rollback``; every autocommit query is one) over a
30 s window after the 50 streams are open and nothing else uses the database. Backends
report their counts within 10 s when idle, so the end is read 11 s after the window closes.
The two reads of the counter themselves are subtracted. Target: ≤ 1 query/s per web process.
"""

from __future__ import annotations

import threading
import time

import httpx
from common import app_env, bench_user, machine, setup_database, verdict, web
from django.db import connection
from django.test import Client

CLIENTS, WINDOW, FLUSH = 50, 30.0, 11.0


def transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


def measure(session: str, **env: str) -> float:
    """Queries per second in the window, with the web process configured by ``env``."""
    with web(app_env("http://127.0.0.1:9", **env), "live-web") as base_url:
        opened = threading.Semaphore(0)
        cookies = {"sessionid": session}

        def browser() -> None:
            try:
                with (
                    httpx.Client(base_url=base_url, cookies=cookies, timeout=None) as http,
                    http.stream("GET", "/gallery/events/") as stream,
                ):
                    first = True
                    for _ in stream.iter_lines():  # keep reading until the server goes away
                        if first:
                            opened.release()
                            first = False
            except httpx.HTTPError:
                pass  # the server stopping at the end

        threads = [threading.Thread(target=browser, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for _ in range(CLIENTS):
            opened.acquire(timeout=30)
        time.sleep(FLUSH)  # connection set-up queries reported before the window starts
        connection.close()
        start = transactions()
        time.sleep(WINDOW)
        time.sleep(FLUSH)
        end = transactions()
        connection.close()
    return (end - start - 1) / WINDOW


def main() -> None:
    setup_database()
    client = Client()
    client.force_login(bench_user())
    session = client.cookies["sessionid"].value
    on = measure(session)
    off = measure(session, FLUXWEB_PG_NOTIFY="0")
    print(
        f"## bench/live.py: {CLIENTS} idle SSE clients on one web process, "
        "database queries per second"
    )
    print(machine())
    print(
        f"window {WINDOW:.0f} s, "
        "counted with pg_stat_database (all queries of the benchmark database)"
    )
    print("| configuration | queries/s (target ≤ 1 per web process) |")
    print("|---|---|")
    print(f"| NOTIFY on (default; fallback poll every 5 s) | {on:.2f} {verdict(on, 1)} |")
    print(f"| NOTIFY off (FLUXWEB_PG_NOTIFY=0; poll every 0.5 s) | {off:.2f} {verdict(off, 1)} |")


if __name__ == "__main__":
    main()
