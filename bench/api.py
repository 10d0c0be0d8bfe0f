#!/usr/bin/env python
"""Images API benchmark: ``POST /v1/images/generations`` at a relay's pace (issue 18).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench \
        .venv/bin/python bench/api.py [--users N]

One uvicorn process and one worker process (the Procfile's lines, ``--threads`` from
``FLUXWEB_WORKER_THREADS``, default 32 here so that 32 requests at a time can be in flight)
on PostgreSQL, DeepInfra pointed at its emulator answering after L = 0.5 s; every request
asks for one 1024×768 image as ``b64_json``. Two loads: one request at a time (50) and 32
at a time (320), each split into rounds that alternate between the targets:

- fluxweb's API (token, budget reserve, rows, task, worker, image check, original and
  thumbnail stored, charge, then the base64 answer);
- a LiteLLM proxy relaying the same emulator's OpenAI-compatible route, when one is
  installed in a venv of the benchmark's own: ``LITELLM_VENV`` (default var/bench-litellm)
  with ``litellm[proxy]==1.82.6`` (1.82.7 and 1.82.8 were malicious uploads), run with a
  master key only (its virtual keys need Prisma binaries);
- the emulator directly (the floor).

Printed per target: overhead (answer time − L) p50/p95, throughput (median of the rounds'
requests/s), CPU per request of its processes (/proc, user + system: web + worker for
fluxweb, plus the PostgreSQL backends of the benchmark database, which other users of the
server do not touch), and the peak number of connections to the benchmark database
(pg_stat_activity, sampled every 0.05 s). The client (asyncio + httpx) and the emulator run
in this process on the same cores.

Then where fluxweb's overhead goes, one at a time and 32 at a time: p50/p95 of the stages
between the client's, the database's and the emulator's stamps (:data:`STAGES`).
``--users N`` sends fluxweb's requests with N members' tokens in turn, each member with a
budget row of its own (by default one token, as one script sends them, whose requests take
the same row's lock one after another).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from common import (
    ROOT,
    BenchEmulator,
    app_env,
    bench_user,
    machine,
    percentile,
    process,
    setup_database,
    verdict,
    web,
    worker,
)
from django.db import connection

from tests.emulators.server import Request, Response, answer_image, serve
from tests.processes import free_port

LATENCY, SIZE = 0.5, (1024, 768)
SERIAL, CONCURRENT, AT_ONCE = 50, 320, 32
ROUNDS = 5
MODEL = "deepinfra/flux-1-schnell"
UPSTREAM_MODEL = "black-forest-labs/FLUX-1-schnell"
RELAY_MODEL = "flux-1-schnell"  # the proxy's name for it
MASTER_KEY = "sk-bench-master-key"
LITELLM_VENV = Path(os.environ.get("LITELLM_VENV", ROOT / "var" / "bench-litellm"))


class RelayEmulator(BenchEmulator):
    """The DeepInfra emulator plus DeepInfra's OpenAI-compatible images route
    (``POST /v1/openai/images/generations``, OpenAI's answer shape), which the LiteLLM proxy
    relays; answers are built once per path and size so the emulator's own CPU stays small."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[tuple[str, int, int], Response] = {}

    def _answer(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict) or body.get("num_images", body.get("n", 1)) != 1:
            return super()._answer(request)
        if request.path.startswith("/v1/openai/images/generations"):
            width, height = (int(x) for x in str(body.get("size", "1024x1024")).split("x"))
        else:
            width, height = body.get("width", 1024), body.get("height", 1024)
        key = (request.path, width, height)
        if key not in self._answers:
            if request.path.startswith("/v1/openai/"):
                b64 = base64.b64encode(answer_image(width, height)).decode()
                self._answers[key] = Response.json(
                    {"created": int(time.time()), "data": [{"b64_json": b64}]}
                )
            else:
                answer = super()._answer(request)
                if answer.status != 200:
                    return answer
                self._answers[key] = answer
        return self._answers[key]


@contextmanager
def relay_emulator() -> Iterator[tuple[RelayEmulator, str]]:
    fake = RelayEmulator()
    fake.latency = LATENCY
    with serve(fake) as url:
        yield fake, url


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children so far (0 if gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (/proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def listening_pid(port: str) -> int:
    """The process whose command line has ``--port PORT`` (/proc)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--port" in args and args[args.index(b"--port") + 1 :][:1] == [port.encode()]:
                return int(entry.name)
    raise RuntimeError(f"no process serves port {port}")


def backend_pids() -> list[int]:
    """PostgreSQL backends connected to the benchmark database, this process's left out
    (its connections, one per thread, name themselves)."""
    with connection.cursor() as cursor:
        cursor.execute("SET application_name = 'bench-api'")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name <> 'bench-api'"
        )
        return [row[0] for row in cursor.fetchall()]


class Target:
    """One way to get an image: its URL, request body and headers, and its processes."""

    def __init__(
        self,
        name: str,
        url: str,
        body: dict,
        headers: list[dict[str, str]],
        pids: list[int],
        database: bool = False,
    ) -> None:
        self.name, self.url, self.body, self.pids = name, url, body, pids
        self.headers = itertools.cycle(headers)  # each request takes the next (--users)
        self.database = database
        self.times: dict[str, list[float]] = {"serial": [], "concurrent": []}
        self.rates: list[float] = []
        self.cpu: dict[str, float] = {"serial": 0.0, "concurrent": 0.0}
        self.cpu_by_pid: dict[int, float] = dict.fromkeys(pids, 0.0)  # both modes together
        self.db_cpu: dict[str, float] = {"serial": 0.0, "concurrent": 0.0}
        self.connections = 0
        self.failures = 0
        # prompt → (mode, sent, answer received): epoch seconds, for fluxweb's stages
        self.sent: dict[str, tuple[str, float, float]] = {}

    def cpu_now(self) -> tuple[dict[int, float], dict[int, float]]:
        """CPU seconds so far of each of the target's processes (with its children) and of
        each PostgreSQL backend of the benchmark database."""
        own = {pid: sum(cpu_seconds(p) for p in tree(pid)) for pid in self.pids}
        backends = {pid: cpu_seconds(pid) for pid in backend_pids()} if self.database else {}
        return own, backends


async def one(client: httpx.AsyncClient, target: Target, prompt: str, mode: str) -> float | None:
    sent, started = time.time(), time.perf_counter()
    response = await client.post(
        target.url, json={**target.body, "prompt": prompt}, headers=next(target.headers)
    )
    elapsed = time.perf_counter() - started
    target.sent[prompt] = (mode, sent, time.time())
    if response.status_code != 200 or b'"b64_json"' not in response.content:
        target.failures += 1
        if target.failures <= 3:
            print(
                f"  {target.name}: HTTP {response.status_code} {response.text[:200]}",
                file=sys.stderr,
            )
        return None
    return elapsed - LATENCY


async def round_of(target: Target, mode: str, count: int, at_once: int, tag: str) -> None:
    """``count`` requests, ``at_once`` in flight; records overheads, rate, CPU."""
    limits = httpx.Limits(max_connections=at_once, max_keepalive_connections=at_once)
    async with httpx.AsyncClient(limits=limits, timeout=180) as client:
        semaphore = asyncio.Semaphore(at_once)

        async def limited(i: int) -> float | None:
            async with semaphore:
                return await one(
                    client, target, f"A lighthouse at dusk, {tag} {i} {time.time_ns()}", mode
                )

        cpu_before, db_before = target.cpu_now()
        started = time.perf_counter()
        results = await asyncio.gather(*(limited(i) for i in range(count)))
        elapsed = time.perf_counter() - started
        cpu_after, db_after = target.cpu_now()
    if mode not in target.times:  # the warm-up
        return
    target.times[mode] += [r for r in results if r is not None]
    if mode == "concurrent":
        target.rates.append(count / elapsed)
    for pid, seconds in cpu_after.items():
        target.cpu_by_pid[pid] += seconds - cpu_before[pid]
    target.cpu[mode] += sum(cpu_after.values()) - sum(cpu_before.values())
    target.db_cpu[mode] += sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())


@contextmanager
def connection_sampler(targets: list[Target]) -> Iterator[None]:
    """Peak connections to the benchmark database while fluxweb's rounds run."""
    stop = threading.Event()
    active: list[Target | None] = [None]

    def sample() -> None:
        while not stop.is_set():
            target = active[0]
            if target is not None and target.database:
                target.connections = max(target.connections, len(backend_pids()))
            time.sleep(0.05)
        connection.close()

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield active  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


@contextmanager
def litellm_proxy(emulator_url: str) -> Iterator[tuple[str, int] | None]:
    """A LiteLLM proxy (one process) relaying the emulator's OpenAI-compatible route: its
    base URL and process id; None when none is installed or it did not start."""
    executable = LITELLM_VENV / "bin" / "litellm"
    if not executable.exists():
        yield None
        return
    config = {
        "model_list": [
            {
                "model_name": RELAY_MODEL,
                "litellm_params": {
                    "model": f"openai/{UPSTREAM_MODEL}",
                    "api_base": f"{emulator_url}/v1/openai",
                    "api_key": "test-deepinfra-key",
                },
            }
        ],
        "general_settings": {"master_key": MASTER_KEY},
        # LiteLLM passes response_format only for OpenAI's own image models: dropped here, the
        # emulator's OpenAI route answers b64_json as DeepInfra's does by default.
        "litellm_settings": {"telemetry": False, "drop_params": True},
    }
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "litellm.json"
        path.write_text(json.dumps(config))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO", "DATABASE", "FLUXWEB"))
        }
        env.update(
            LITELLM_LOG="ERROR",
            LITELLM_MODE="PRODUCTION",
            NO_DOCS="True",
            DISABLE_SCHEMA_UPDATE="True",
        )
        with process(
            [
                str(executable),
                "--config",
                str(path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--num_workers",
                "1",
            ],
            env,
            "api-litellm",
        ) as child:
            base_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{base_url}/health/liveliness", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if child.poll() is not None or time.monotonic() > deadline:
                    print(
                        "LiteLLM proxy did not start (var/bench-logs/api-litellm.log)",
                        file=sys.stderr,
                    )
                    yield None
                    return
                time.sleep(0.5)
            yield base_url, child.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users",
        type=int,
        default=1,
        help="members whose tokens fluxweb's requests take in turn, each with a budget row "
        "of its own (default 1: one script's token)",
    )
    args = parser.parse_args()
    setup_database()
    from fluxweb.api.models import ApiToken

    user = bench_user()
    tokens = [ApiToken.issue(user, "bench-api")[1]]
    tokens += [
        ApiToken.issue(bench_user(f"bench-{i}"), "bench-api")[1] for i in range(1, args.users)
    ]
    body = {"model": MODEL, "n": 1, "size": f"{SIZE[0]}x{SIZE[1]}", "response_format": "b64_json"}
    threads = os.environ.get("FLUXWEB_WORKER_THREADS", "32")
    with relay_emulator() as (fake, emulator_url), ExitStack() as stack:
        env = app_env(emulator_url, FLUXWEB_WORKER_THREADS=threads)
        worker_process = stack.enter_context(worker(env, "api-worker", threads))
        web_env = {**env, "FLUXWEB_API_WAIT_TIMEOUT": "120"}
        base_url = stack.enter_context(web(web_env, "api-web"))
        web_pid = listening_pid(base_url.rsplit(":", 1)[1])
        relay = stack.enter_context(litellm_proxy(emulator_url))
        flux = Target(
            "fluxweb",
            f"{base_url}/v1/images/generations",
            body,
            [{"Authorization": f"Bearer {token}"} for token in tokens],
            [web_pid, worker_process.pid],
            database=True,
        )
        targets = [
            flux,
            Target(
                "direct",
                f"{emulator_url}/v1/openai/images/generations",
                {**body, "model": UPSTREAM_MODEL},
                [{"Authorization": "Bearer test-deepinfra-key"}],
                [],
            ),
        ]
        if relay:
            targets.insert(
                1,
                Target(
                    "LiteLLM",
                    f"{relay[0]}/v1/images/generations",
                    {**body, "model": RELAY_MODEL},
                    [{"Authorization": f"Bearer {MASTER_KEY}"}],
                    [relay[1]],
                ),
            )
        for target in targets:  # warm up: imports, pools, caches
            asyncio.run(round_of(target, "warm-up", 8, 4, "warm-up"))
        with connection_sampler(targets) as active:
            for mode, count, at_once in (
                ("serial", SERIAL, 1),
                ("concurrent", CONCURRENT, AT_ONCE),
            ):
                for r in range(ROUNDS):
                    order = targets if r % 2 == 0 else targets[::-1]
                    for target in order:
                        active[0] = target  # type: ignore[index]
                        asyncio.run(round_of(target, mode, count // ROUNDS, at_once, f"{mode} {r}"))
                        active[0] = None  # type: ignore[index]
        stages = breakdown(flux, fake)
    report(targets, args.users)
    print()
    print("\n".join(stages))


# (label, from, to): the consecutive stages of a fluxweb API generation, stamped by the
# client, the database (the generation's created_at is its submit transaction's start,
# started_at the worker's claim, finished_at the success UPDATE) and the emulator (request
# received, answer ready), all on this machine's one wall clock. Their p50s add up to about
# the overhead's p50 plus L.
STAGES = (
    ("client sends → submit transaction begins (HTTP, token, body, price)", "sent", "created"),
    ("→ a worker claimed it (budget, rows, commit, NOTIFY, claim)", "created", "claimed"),
    ("→ the provider has the request", "claimed", "provider"),
    ("provider answer ready → success UPDATE (image check, files)", "answered", "finished"),
    ("→ the client has the answer (charge, commit, wake-up, answer)", "finished", "received"),
)


def breakdown(target: Target, fake: RelayEmulator) -> list[str]:
    """Where fluxweb's overhead goes: p50 / p95 (ms) of each of :data:`STAGES`, one at a
    time and ``AT_ONCE`` at a time, from the stamps of ``target``'s measured requests."""
    from fluxweb.generations.models import Generation

    stamped: dict[str, list[dict[str, float]]] = {"serial": [], "concurrent": []}
    rows = Generation.objects.filter(prompt__text__in=list(target.sent)).values_list(
        "prompt__text", "created_at", "started_at", "finished_at"
    )
    for text, created, claimed, finished in rows:
        if text not in fake.times or claimed is None or finished is None:
            continue
        mode, sent, received = target.sent[text]
        if mode not in stamped:  # the warm-up
            continue
        provider, answered = fake.times[text]
        stamped[mode].append(
            {
                "sent": sent,
                "created": created.timestamp(),
                "claimed": claimed.timestamp(),
                "provider": provider,
                "answered": answered,
                "finished": finished.timestamp(),
                "received": received,
            }
        )
    lines = [
        f"where fluxweb's overhead goes (ms, p50 / p95; {len(stamped['serial'])} one at a "
        f"time, {len(stamped['concurrent'])} {AT_ONCE} at a time)",
        f"| stage | one at a time | {AT_ONCE} at a time |",
        "|---|---|---|",
    ]
    for label, start, end in STAGES:
        cells = []
        for mode in ("serial", "concurrent"):
            values = [r[end] - r[start] for r in stamped[mode]]
            cells.append(
                f"{percentile(values, 50) * 1000:.1f} / {percentile(values, 95) * 1000:.1f}"
                if values
                else "–"
            )
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return lines


def report(targets: list[Target], users: int) -> None:
    by_name = {t.name: t for t in targets}
    ms = 1000
    print(
        f"## bench/api.py: POST /v1/images/generations, L = {LATENCY:g} s, "
        f"{SIZE[0]}×{SIZE[1]}, n = 1, b64_json; {SERIAL} one at a time, {CONCURRENT} "
        f"{AT_ONCE} at a time, {ROUNDS} interleaved rounds each"
        + (f"; fluxweb's requests from {users} members in turn" if users > 1 else "")
    )
    print(machine())
    print("| | " + " | ".join(t.name for t in targets) + " |")
    print("|---|" + "---|" * len(targets))

    def row(label: str, values: list[str]) -> None:
        print(f"| {label} | " + " | ".join(values) + " |")

    def p(t: Target, mode: str, q: float) -> float:
        return percentile(t.times[mode], q) * ms if t.times[mode] else math.nan

    row(
        "overhead p50 / p95, one at a time",
        [f"{p(t, 'serial', 50):.0f} / {p(t, 'serial', 95):.0f} ms" for t in targets],
    )
    row(
        f"overhead p50 / p95, {AT_ONCE} at a time",
        [f"{p(t, 'concurrent', 50):.0f} / {p(t, 'concurrent', 95):.0f} ms" for t in targets],
    )
    row(
        f"throughput, {AT_ONCE} at a time (ideal {AT_ONCE / LATENCY:.0f}/s)",
        [f"{statistics.median(t.rates):.1f}/s" if t.rates else "–" for t in targets],
    )
    cpu = []
    for t in targets:
        if not t.pids:
            cpu.append("")
            continue
        count = len(t.times["serial"]) + len(t.times["concurrent"]) or 1
        text = f"{(t.cpu['serial'] + t.cpu['concurrent']) / count * ms:.0f} ms"
        if len(t.pids) > 1:  # fluxweb: web, then worker
            parts = " + ".join(f"{t.cpu_by_pid[pid] / count * ms:.0f}" for pid in t.pids)
            text += f" (web + worker: {parts})"
        if t.database:
            text += (
                f" + PostgreSQL {(t.db_cpu['serial'] + t.db_cpu['concurrent']) / count * ms:.0f} ms"
            )
        cpu.append(text)
    row("CPU per request", cpu)
    row("database connections (peak)", [str(t.connections) if t.database else "–" for t in targets])
    row("failed requests", [str(t.failures) for t in targets])
    flux, direct = by_name["fluxweb"], by_name["direct"]
    floor = p(direct, "serial", 50)
    overhead = p(flux, "serial", 50) - floor
    rate = statistics.median(flux.rates)
    flux_cpu = (
        (flux.cpu["serial"] + flux.cpu["concurrent"])
        / max(1, len(flux.times["serial"]) + len(flux.times["concurrent"]))
        * ms
    )
    print()
    print(
        f"- one at a time, p50 above the direct floor: {overhead:.0f} ms "
        f"{verdict(overhead, 40)} (≤ 40 ms)"
    )
    print(f"- {AT_ONCE} at a time: {rate:.1f}/s {verdict(rate, 30, True)} (≥ 30/s)")
    print(
        f"- CPU per generation, web + worker: {flux_cpu:.0f} ms {verdict(flux_cpu, 35)} "
        "(≤ 35 ms, PostgreSQL apart)"
    )
    print(f"- connections, web + worker: {flux.connections} {verdict(flux.connections, 20)} (≤ 20)")
    if "LiteLLM" in by_name:
        relay = by_name["LiteLLM"]
        relay_rate = statistics.median(relay.rates)
        print(
            f"- vs LiteLLM: throughput {rate / relay_rate:.2f}× "
            f"{verdict(rate / relay_rate, 0.75, True)} (≥ 0.75×); overhead p50 one at a time "
            f"{overhead:.0f} vs {p(relay, 'serial', 50) - floor:.0f} ms above the floor"
        )
    else:
        print(
            f"- no LiteLLM proxy in {LITELLM_VENV} (python -m venv {LITELLM_VENV} && "
            f"{LITELLM_VENV}/bin/pip install 'litellm[proxy]==1.82.6'): "
            "fluxweb and the direct floor only"
        )


if __name__ == "__main__":
    main()
