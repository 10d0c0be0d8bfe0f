#!/usr/bin/env python
"""CPU of one generation's two halves, in this process: the submit (what an API request's
``submit_generation`` does) and the worker's run (``run_generation``: claim, provider call,
image check, files, success and charge), against the DeepInfra emulator answering at once.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench \
        .venv/bin/python bench/worker_profile.py [--runs 60] [--source api|web] [--profile]

Prints the median thread CPU time (ms) of each half over ``--runs`` generations of one
1024×768 image. ``--profile`` runs each half under cProfile instead and prints the
functions with the most own time (profiler overhead included; the full profiles go to
var/submit.prof and var/run.prof). The task queue's claim and result are not included: they
are django-tasks-db's, the same for every task (bench/api.py measures the whole path).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable

from common import MODEL, ROOT, bench_user, emulator, machine, setup_database

SIZE = "1024x768"


def thread_ms(call: Callable[[], object]) -> float:
    """The calling thread's CPU time (ms) spent in ``call()``."""
    start = time.thread_time()
    call()
    return (time.thread_time() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="generations per half")
    parser.add_argument(
        "--source", choices=["api", "web"], default="api", help="where they come from"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each half instead")
    args = parser.parse_args()

    from django.conf import settings

    from fluxweb.api.translate import parse_images_request
    from fluxweb.generations.models import Generation
    from fluxweb.generations.running import run_generation
    from fluxweb.generations.services import submit_generation
    from fluxweb.providers.registry import get_registry
    from fluxweb.queue.connections import release_connection

    setup_database()
    user = bench_user()
    source = Generation.Source.API if args.source == "api" else Generation.Source.WEB
    body = {"model": MODEL, "n": 1, "size": SIZE, "response_format": "b64_json"}

    def submit(i: int) -> int:
        data = parse_images_request({**body, "prompt": f"profiled lighthouse {i}"}).cleaned_data
        generation = submit_generation(user, data, source=source)
        release_connection()
        return generation.pk

    def run(pk: int) -> None:
        run_generation(pk)
        release_connection()

    with emulator(0.0) as (_fake, url):
        settings.DEEPINFRA_BASE_URL = url  # read when the registry is built
        get_registry.cache_clear()
        for i in range(5):  # warm up: imports, pools, the provider's status row
            run(submit(i))
        print(f"## bench/worker_profile.py: one generation's CPU, {args.source}, {SIZE}")
        print(machine())
        if args.profile:
            submitting = cProfile.Profile()
            pks = submitting.runcall(lambda: [submit(i) for i in range(args.runs)])
            running = cProfile.Profile()
            running.runcall(lambda: [run(pk) for pk in pks])
            for name, profiler in (("submit", submitting), ("run", running)):
                profiler.dump_stats(ROOT / "var" / f"{name}.prof")
                print(f"\n### {name}: {args.runs} generations, functions by own time")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        submits, pks = [], []
        for i in range(args.runs):
            submits.append(thread_ms(lambda i=i: pks.append(submit(i))))
        runs = [thread_ms(lambda pk=pk: run(pk)) for pk in pks]
        print("| half | CPU p50 | min |")
        print("|---|---|---|")
        print(f"| submit | {statistics.median(submits):.1f} ms | {min(submits):.1f} ms |")
        print(f"| run | {statistics.median(runs):.1f} ms | {min(runs):.1f} ms |")


if __name__ == "__main__":
    main()
