#!/usr/bin/env python
"""Submit benchmark: server time of the submit request (validate, reserve budget, create
rows, enqueue) on PostgreSQL, p50/p95 over 300 requests after 20 warm-up ones.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench .venv/bin/python bench/submit.py

Compared in one run: a new database connection per request (DJANGO_DB_POOL_MAX_SIZE=0,
the default) and psycopg's connection pool (DJANGO_DB_POOL_MAX_SIZE=4), each in its own
child process. Measured in-process with Django's test Client (no network, no worker running): the time
from the request entering Django's handler to its response, i.e. middleware, the view,
its SQL and the on-commit enqueue. Target: p50 ≤ 15 ms, p95 ≤ 40 ms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from common import MODEL, bench_user, machine, percentile, setup_database, verdict
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

REQUESTS, WARMUP = 300, 20


def measure() -> tuple[float, float, int]:
    """(p50 ms, p95 ms, SQL queries per request) in this process's configuration."""
    client = Client()
    client.force_login(bench_user())
    data = {"model": MODEL, "width": 512, "height": 512, "num_inference_steps": 4, "num_images": 1}
    times: list[float] = []
    for i in range(WARMUP + REQUESTS):
        started = time.perf_counter()
        response = client.post("/generations/new/", {**data, "prompt": f"A lighthouse in a storm, take {i}"},
                               HTTP_HX_REQUEST="true")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and b"card--queued" in response.content, response.content[:500]
        if i >= WARMUP:
            times.append(elapsed)
    with CaptureQueriesContext(connection) as queries:
        client.post("/generations/new/", {**data, "prompt": "one more"}, HTTP_HX_REQUEST="true")
    return percentile(times, 50), percentile(times, 95), len(queries)


def main() -> None:
    setup_database()
    print("## bench/submit.py: POST /generations/new/ server time (in-process, PostgreSQL)")
    print(machine())
    print(f"{REQUESTS} requests per configuration (after {WARMUP} warm-up)")
    print("| database connections | SQL queries | p50 (target ≤ 15 ms) | p95 (target ≤ 40 ms) |")
    print("|---|---|---|---|")
    for label, pool in (("new connection per request (pool off)", "0"), ("psycopg pool (max 4)", "4")):
        env = {**os.environ, "DJANGO_DB_POOL_MAX_SIZE": pool}
        out = subprocess.run([sys.executable, __file__, "--measure"], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        p50, p95, queries = float(out[0]), float(out[1]), int(out[2])
        print(f"| {label} | {queries} | {p50:.1f} ms {verdict(p50, 15)} | {p95:.1f} ms {verdict(p95, 40)} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(*measure())
    else:
        main()
