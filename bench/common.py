"""What the speed benchmarks share: Django set up on the benchmark database, the machine
line each one prints, fluxweb's processes started as the Procfile starts them, and a
DeepInfra emulator with a fixed latency. Used by bench/latency.py, throughput.py, submit.py
and live.py; bin/bench runs them all.

The database is ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/fluxweb_bench),
never the development one; it is migrated on start and reused between runs.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fluxweb_bench"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fluxweb.settings")
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
# As in production (DEBUG off: no query log, cached templates), but over plain HTTP on loopback.
os.environ.update(
    DJANGO_DEBUG="0",
    DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
    DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    DJANGO_SECURE_SSL_REDIRECT="0",
    DJANGO_SESSION_COOKIE_SECURE="0",
    DJANGO_CSRF_COOKIE_SECURE="0",
    DJANGO_STATIC_ROOT=str(ROOT / "var" / "bench-static"),
)
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
from fluxweb.providers.catalog import env_names  # noqa: E402 (after sys.path)
from tests.emulators import deepinfra as deepinfra_emulator  # noqa: E402

# Only DeepInfra, pointed at its emulator (app_env), enables the FLUX models here: no key
# or switch of any provider from the caller's environment (FLUXWEB_DEMO_PROVIDER included).
for _name in env_names():
    os.environ.pop(_name, None)
os.environ.update(deepinfra_emulator.env("http://127.0.0.1:9"))  # the real URL comes with app_env

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from tests import processes  # noqa: E402
from tests.emulators.deepinfra import DeepInfraEmulator  # noqa: E402
from tests.emulators.server import serve  # noqa: E402

LOGS = ROOT / "var" / "bench-logs"
MODEL = "deepinfra/flux-1-schnell"


def setup_database() -> None:
    """Migrate the benchmark database and forget work left over from an earlier run: its
    task rows, and its generations still queued or running (failed, their reservations
    refunded). Without the latter, the worker's sweep finds queued generations whose task
    rows are gone and queues them all again, in front of the benchmark's own (an
    interrupted run once left 240, and 13 of 50 generations then missed the 30 s limit).

    On PostgreSQL the database is then VACUUM ANALYZEd, as autovacuum keeps a production
    one: this project's test server runs without autovacuum, and the dead rows of earlier
    runs made each run slower than the one before (docs/speed.md, "Dead rows of earlier
    runs")."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from fluxweb.generations.models import Generation
    from fluxweb.generations.running import fail_generation

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    DBTaskResult.objects.all().delete()
    unfinished = Generation.objects.filter(
        status__in=[Generation.Status.QUEUED, Generation.Status.RUNNING]
    )
    for generation in unfinished.iterator():
        fail_generation(generation, "left over from an interrupted benchmark run")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown CPU" elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def reference_loop_ms(repeat: int = 5) -> float:
    """Milliseconds one core takes for a fixed pure-Python loop (1M additions), best of
    ``repeat``: a figure to compare machines by, since the same code measured 1.7× apart on
    two machines of the same kind (docs/speed.md). Lower is faster."""
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine() -> str:
    """One line: CPUs and their model, the one-core reference loop, load average now,
    Python, database server."""
    speed = reference_loop_ms()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with connection.cursor() as cursor:
        cursor.execute(
            "SHOW server_version"
        ) if connection.vendor == "postgresql" else cursor.execute(
            "SELECT 'SQLite ' || sqlite_version()"
        )
        server = cursor.fetchone()[0]
    vendor = "PostgreSQL " if connection.vendor == "postgresql" else ""
    database = f"{vendor}{server.split()[0] if vendor else server}"
    return (
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}; reference loop {speed:.0f} ms), "
        f"load average {load} (1/5/15 min), Python {platform.python_version()}, "
        f"{database}, {platform.machine()} {platform.system()}"
    )


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0–100), inclusive method."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def verdict(value: float, target: float, higher_is_better: bool = False) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "NOT met"


def app_env(emulator_url: str, **extra: str) -> dict[str, str]:
    """Environment of a fluxweb process on the benchmark database with DeepInfra → emulator."""
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=DATABASE_URL, PYTHONUNBUFFERED="1", **deepinfra_emulator.env(emulator_url)
    )
    env.update(extra)
    return env


@contextmanager
def process(args: list[str], env: dict[str, str], name: str) -> Iterator[subprocess.Popen]:
    """Run ``args`` from the project root, output to var/bench-logs/NAME.log; SIGTERM at the end
    (a minute to drain: benchmarks stop workers with work in flight)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with processes.process(args, env, LOGS / f"{name}.log", stop_timeout=60) as child:
        yield child


def worker_args(threads: str | None = None) -> list[str]:
    """The Procfile's worker line with its defaults (``--threads`` from ``threads``, else
    ``FLUXWEB_WORKER_THREADS``, else 16)."""
    return [
        sys.executable,
        "manage.py",
        "worker",
        "--no-reload",
        "--interval",
        "1",
        "--threads",
        threads or os.environ.get("FLUXWEB_WORKER_THREADS", "16"),
    ]


def worker_pool_size() -> str:
    """Connections a benchmark's worker process pools: ``DJANGO_DB_POOL_MAX_SIZE`` when
    set, else the Procfile's ``WORKER_DB_POOL_MAX_SIZE`` (default 8)."""
    return os.environ.get("DJANGO_DB_POOL_MAX_SIZE") or os.environ.get(
        "WORKER_DB_POOL_MAX_SIZE", "8"
    )


@contextmanager
def worker(
    env: dict[str, str], name: str, threads: str | None = None
) -> Iterator[subprocess.Popen]:
    """One worker process as the Procfile runs it (:func:`worker_args`), with the Procfile's
    worker connection pool (:func:`worker_pool_size`, unless ``env`` sets
    ``DJANGO_DB_POOL_MAX_SIZE``); output to var/bench-logs/NAME.log."""
    env = {"DJANGO_DB_POOL_MAX_SIZE": worker_pool_size(), **env}
    with process(worker_args(threads), env, name) as child:
        yield child


@contextmanager
def web(env: dict[str, str], name: str = "web") -> Iterator[str]:
    """One uvicorn process serving the ASGI app, with the Procfile's web connection pool
    (``WEB_DB_POOL_MAX_SIZE``, default 8, unless ``env`` sets ``DJANGO_DB_POOL_MAX_SIZE``);
    yields its base URL once it answers."""
    env = {"DJANGO_DB_POOL_MAX_SIZE": os.environ.get("WEB_DB_POOL_MAX_SIZE", "8"), **env}
    LOGS.mkdir(parents=True, exist_ok=True)
    with processes.web_server(
        env, LOGS / f"{name}.log", "--no-access-log", stop_timeout=60
    ) as base_url:
        yield base_url


class BenchEmulator(DeepInfraEmulator):
    """The DeepInfra emulator, timed: ``times[prompt]`` is (request received, answer
    ready), epoch seconds, for the latency benchmark's breakdown."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[str, tuple[float, float]] = {}

    def handle(self, request):
        received = time.time()
        response = super().handle(request)
        try:
            prompt = request.json().get("prompt", "")
        except ValueError:
            prompt = ""
        self.times[prompt] = (received, time.time())
        return response


@contextmanager
def emulator(latency: float) -> Iterator[tuple[BenchEmulator, str]]:
    """A DeepInfra emulator answering after ``latency`` seconds."""
    fake = BenchEmulator()
    fake.latency = latency
    with serve(fake) as url:
        yield fake, url


def bench_user(username: str = "bench", password: str = "bench-password-1"):
    """A member with a budget no benchmark runs out of."""
    from django.contrib.auth import get_user_model

    from fluxweb.budgets.models import Quota

    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    Quota.objects.filter(user=user).update(budget_usd=None, images_per_day=None)
    return user


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (/proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
