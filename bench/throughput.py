#!/usr/bin/env python
"""Concurrency benchmark: 200 generations submitted at once, provider latency 2 s, with 1, 2
and 4 worker processes (each the Procfile's line: 16 threads; FLUXWEB_WORKER_THREADS changes it).

    export BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench
    .venv/bin/python bench/throughput.py

The 200 are created in one transaction (their tasks are enqueued as it commits) while the
workers are idle. Printed per process count: peak provider calls in flight (counted by the
DeepInfra emulator), the time until all 200 succeeded, throughput against the ideal for that
concurrency (ceil(200 / in flight) × 2 s), and the workers' summed peak RSS (/proc VmRSS,
sampled every 0.1 s), the workers' CPU time (user + system, from idle to done: start-up
left out) per generation, and where the threads' time went: a task's own time beyond L
(p50: claimed to done, worker clock) and the claim gap (p50: a thread done with one task
→ its next task claimed, while tasks were waiting). The emulator
runs in this process on the same 2 cores (one PNG per size, common.py).
Targets (2 processes, the production default): ≥ 32 in flight, ≥ 0.9 × ideal, ≤ 1 GB RSS.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from common import (
    MODEL,
    app_env,
    bench_user,
    emulator,
    machine,
    rss_mib,
    setup_database,
    verdict,
    worker,
    worker_pool_size,
)
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from fluxweb.generations.models import Generation
from fluxweb.generations.services import submit_generation
from fluxweb.providers.registry import get_registry

COUNT, LATENCY = 200, 2.0


def idle_workers(count: int) -> bool:
    """``count`` workers are listening and nothing is ready (their start-up sweep ran)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query = 'LISTEN \"fluxweb_tasks\"'"
        )
        listening = cursor.fetchone()[0]
    return listening >= count and not DBTaskResult.objects.ready().exists()


def run(processes: int, user) -> dict[str, float]:
    spec = get_registry().model(MODEL)
    with emulator(LATENCY) as (fake, url), ExitStack() as stack:
        env = app_env(url)
        workers = [
            stack.enter_context(worker(env, f"throughput-{processes}-{i}"))
            for i in range(processes)
        ]
        while not idle_workers(processes):
            time.sleep(0.1)
        peak = {"in_flight": 0, "rss": 0.0}
        done = threading.Event()

        def sample() -> None:
            next_rss = 0.0
            while not done.is_set():
                peak["in_flight"] = max(peak["in_flight"], fake.in_flight)
                if time.monotonic() >= next_rss:
                    peak["rss"] = max(peak["rss"], sum(rss_mib(w.pid) for w in workers))
                    next_rss = time.monotonic() + 0.1
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        idle_cpu = sum(cpu_seconds(w.pid) for w in workers)
        sampler.start()
        marks: list[float] = []
        with transaction.atomic():
            # Runs first on commit, before the 200 enqueues: the clock starts as they become
            # visible.
            transaction.on_commit(lambda: marks.append(time.monotonic()))
            ids = [
                submit_generation(
                    user,
                    {
                        "model": spec,
                        "prompt": f"Lighthouse {processes}-{i}",
                        "width": 512,
                        "height": 512,
                        "num_inference_steps": 4,
                        "num_images": 1,
                    },
                ).pk
                for i in range(COUNT)
            ]
        pending = Generation.objects.filter(pk__in=ids).exclude(status__in=["succeeded", "failed"])
        while pending.exists():
            time.sleep(0.05)
        elapsed = time.monotonic() - marks[0]
        done.set()
        sampler.join()
        cpu = sum(cpu_seconds(w.pid) for w in workers) - idle_cpu
    failed = Generation.objects.filter(pk__in=ids, status="failed").count()
    ideal = math.ceil(COUNT / max(peak["in_flight"], 1)) * LATENCY
    return {
        "in_flight": peak["in_flight"],
        "elapsed": elapsed,
        "ratio": ideal / elapsed,
        "rss": peak["rss"],
        "failed": failed,
        "cpu": cpu,
        **slot_use(ids),
    }


def slot_use(ids: list[int]) -> dict[str, float]:
    """Where the worker threads' time went (task rows, worker clocks), p50 over the
    generations: a task's own time beyond L (claimed → finished), and the claim gap: how
    long a thread that finished a task waited for its next one while the queue was not
    empty (in each process the (threads + k)-th claim needs the k-th finished task)."""
    wanted = set(ids)
    tasks = [
        t
        for t in DBTaskResult.objects.filter(task_path__endswith="generate_images")
        if t.args_kwargs["args"]
        and t.args_kwargs["args"][0] in wanted
        and t.finished_at
        and t.started_at
    ]
    beyond = [(t.finished_at - t.started_at).total_seconds() - LATENCY for t in tasks]
    gaps = []
    for worker_id in {t.worker_ids[-1] for t in tasks}:
        mine = [t for t in tasks if t.worker_ids[-1] == worker_id]
        starts = sorted(t.started_at for t in mine)
        finishes = sorted(t.finished_at for t in mine)
        gaps += [(start - finishes[k]).total_seconds() for k, start in enumerate(starts[THREADS:])]
    return {
        "in_task": statistics.median(beyond) if beyond else math.nan,
        "gap": statistics.median(gaps) if gaps else math.nan,
    }


THREADS = int(os.environ.get("FLUXWEB_WORKER_THREADS", "16"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1, 2, 4],
        help="worker process counts to run (default 1 2 4); with FLUXWEB_WORKER_THREADS=200 "
        "--processes 1 is issue 18's one-worker run",
    )
    args = parser.parse_args()
    setup_database()
    user = bench_user()
    results = {n: run(n, user) for n in args.processes}
    print(f"## bench/throughput.py: {COUNT} generations at once, provider latency {LATENCY:g} s")
    print(machine())
    print(
        f"worker processes = the Procfile line each (--threads {THREADS}, "
        f"pool {worker_pool_size()}); "
        "targets apply to 2 (the production default)"
    )
    print(
        "| worker processes | peak calls in flight | all done in | generations/s "
        "| vs ideal for that concurrency | worker RSS (sum, peak) | worker CPU per generation "
        "| task beyond L (p50) | claim gap (p50) | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, r in results.items():
        target = n == 2
        flight = f"{r['in_flight']}" + (
            f" {verdict(r['in_flight'], 32, True)} (≥ 32)" if target else ""
        )
        ratio = f"{r['ratio']:.2f}" + (
            f" {verdict(r['ratio'], 0.9, True)} (≥ 0.9)" if target else ""
        )
        rss = f"{r['rss']:.0f} MiB" + (f" {verdict(r['rss'], 1024)} (≤ 1 GiB)" if target else "")
        print(
            f"| {n} | {flight} | {r['elapsed']:.1f} s | {COUNT / r['elapsed']:.1f} | {ratio} "
            f"| {rss} | {r['cpu'] / COUNT * 1000:.0f} ms | {r['in_task'] * 1000:.0f} ms "
            f"| {r['gap'] * 1000:.0f} ms | {r['failed']} |"
        )


if __name__ == "__main__":
    main()
