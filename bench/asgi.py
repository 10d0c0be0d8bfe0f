#!/usr/bin/env python
"""The ASGI handler's own cost: Django's ``ASGIHandler`` and fluxweb's
``SyncChainASGIHandler`` (fluxweb/core/asgi.py) side by side, in one process.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench \
        .venv/bin/python bench/asgi.py

Each request is ``GET /v1/openapi.json``, sent straight to the handler as an ASGI server
would (no sockets; tests/asgi_client.py): the full middleware chain and the request signals
run, and the view answers 200 with a small JSON document without a query, so what is
measured is what every request pays around its view. Rounds of 1000 requests, 1 and 32 in
flight, alternate between the two handlers; printed per handler: process CPU per request
(``time.process_time``: the event loop and every thread) and wall time per request, medians
of the rounds.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from common import machine
from django.core.handlers.asgi import ASGIHandler

from fluxweb.core.asgi import SyncChainASGIHandler
from tests.asgi_client import asgi_get

REQUESTS, ROUNDS = 1000, 5
PATH = "/v1/openapi.json"


async def round_of(app: ASGIHandler, at_once: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per request over :data:`REQUESTS` requests, ``at_once`` in flight."""
    semaphore = asyncio.Semaphore(at_once)

    async def limited() -> int:
        async with semaphore:
            return (await asgi_get(app, PATH))[0]

    cpu, wall = time.process_time(), time.perf_counter()
    statuses = await asyncio.gather(*(limited() for _ in range(REQUESTS)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert set(statuses) == {200}, statuses
    return 1000 * cpu / REQUESTS, 1000 * wall / REQUESTS


def main() -> None:
    handlers = {"Django's ASGIHandler": ASGIHandler(), "fluxweb's": SyncChainASGIHandler()}
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for at_once in (1, 32):
        for app in handlers.values():  # warm-up: imports, URL resolver, threads
            asyncio.run(round_of(app, at_once))
        for r in range(ROUNDS):
            order = list(handlers.items())
            for name, app in order if r % 2 == 0 else order[::-1]:
                results.setdefault((name, at_once), []).append(asyncio.run(round_of(app, at_once)))
    print(f"## bench/asgi.py: GET {PATH} (200, no query) straight into the ASGI handler")
    print(machine())
    print(f"{REQUESTS} requests per round, {ROUNDS} rounds per handler, alternating; medians")
    print("| handler | in flight | CPU per request | wall per request |")
    print("|---|---|---|---|")
    for (name, at_once), values in results.items():
        cpu = statistics.median(v[0] for v in values)
        wall = statistics.median(v[1] for v in values)
        print(f"| {name} | {at_once} | {cpu:.2f} ms | {wall:.2f} ms |")


if __name__ == "__main__":
    main()
