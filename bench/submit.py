#!/usr/bin/env python
"""Submit benchmark: server time of the submit request (validate, reserve budget, create
rows, enqueue) on PostgreSQL, p50/p95 over 300 requests after 20 warm-up ones.

    export BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench
    .venv/bin/python bench/submit.py

Compared in one run: a new database connection per request (DJANGO_DB_POOL_MAX_SIZE=0,
the default) and psycopg's connection pool (DJANGO_DB_POOL_MAX_SIZE=4), each in its own
child process. Measured in-process with Django's test Client (no network, no worker
running): the time from the request entering Django's handler to its response, i.e.
middleware, the view, its SQL and the on-commit enqueue, plus the connection handling a
server does around each request. The test Client disconnects Django's
``close_old_connections`` from ``request_started``/``request_finished`` (tests keep one
connection), so the benchmark calls it itself before and after each request, as the
WSGI/ASGI handlers do: with the pool off every request then opens a new connection, as
in production. "SQL" is the time spent executing statements (not connecting); "CPU" is
this process's CPU time per request (Python, no waiting), which load on the machine
disturbs far less than the wall-clock figures. Target: p50 ≤ 15 ms, p95 ≤ 40 ms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from common import MODEL, bench_user, machine, percentile, setup_database, verdict
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

REQUESTS, WARMUP = 300, 20


class SqlClock:
    """An execute wrapper adding up the time spent in statements (ms) and counting them."""

    def __init__(self) -> None:
        self.ms, self.count = 0.0, 0

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000
            self.count += 1


def measure() -> tuple[float, float, float, float, int]:
    """(p50 ms, p95 ms, p50 of SQL ms, p50 of CPU ms, SQL queries per request) in this
    process's configuration."""
    client = Client()
    client.force_login(bench_user())
    data = {"model": MODEL, "width": 512, "height": 512, "num_inference_steps": 4, "num_images": 1}
    times: list[float] = []
    sql_times: list[float] = []
    cpu_times: list[float] = []
    for i in range(WARMUP + REQUESTS):
        clock = SqlClock()
        cpu_started, started = time.process_time(), time.perf_counter()
        close_old_connections()  # request_started
        with connection.execute_wrapper(clock):
            response = client.post(
                "/generations/new/",
                {**data, "prompt": f"A lighthouse in a storm, take {i}"},
                HTTP_HX_REQUEST="true",
            )
        close_old_connections()  # request_finished
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu_started) * 1000
        assert response.status_code == 200 and b"card--queued" in response.content, (
            response.content[:500]
        )
        if i >= WARMUP:
            times.append(elapsed)
            sql_times.append(clock.ms)
            cpu_times.append(cpu)
    with CaptureQueriesContext(connection) as queries:
        client.post("/generations/new/", {**data, "prompt": "one more"}, HTTP_HX_REQUEST="true")
    close_old_connections()
    return (
        percentile(times, 50),
        percentile(times, 95),
        percentile(sql_times, 50),
        percentile(cpu_times, 50),
        len(queries),
    )


def main() -> None:
    setup_database()
    print("## bench/submit.py: POST /generations/new/ server time (in-process, PostgreSQL)")
    print(machine())
    print(f"{REQUESTS} requests per configuration (after {WARMUP} warm-up)")
    print(
        "| database connections | SQL queries | SQL p50 | CPU p50 "
        "| p50 (target ≤ 15 ms) | p95 (target ≤ 40 ms) |"
    )
    print("|---|---|---|---|---|---|")
    for label, pool in (
        ("new connection per request (pool off)", "0"),
        ("psycopg pool (max 4)", "4"),
    ):
        env = {**os.environ, "DJANGO_DB_POOL_MAX_SIZE": pool}
        out = subprocess.run(
            [sys.executable, __file__, "--measure"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        (p50, p95, sql, cpu), queries = (float(x) for x in out[:4]), int(out[4])
        print(
            f"| {label} | {queries} | {sql:.1f} ms | {cpu:.1f} ms "
            f"| {p50:.1f} ms {verdict(p50, 15)} | {p95:.1f} ms {verdict(p95, 40)} |"
        )
    print(f"machine after: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(*measure())
    else:
        main()
