"""Run fluxweb's real processes (task worker, uvicorn) against the test database.

Tests that use these need ``@pytest.mark.django_db(transaction=True)`` so the rows they
write are committed and visible to the child processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# Provider settings of the developer's shell never leak into the processes under test.
PROVIDER_PREFIXES = ("DEEPINFRA_", "AIMLAPI_", "SEGMIND_", "IMAGEPIPELINE_", "OPENAI_IMAGES_")


def database_url() -> str:
    """A DATABASE_URL for the database this test is using (the test database)."""
    conf = connection.settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{conf['NAME']}"
    credentials = quote(conf["USER"] or "")
    if conf["PASSWORD"]:
        credentials += ":" + quote(conf["PASSWORD"])
    host, port = conf["HOST"] or "127.0.0.1", conf["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{conf['NAME']}"


def app_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: the test database and media, demo without delay."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(PROVIDER_PREFIXES + ("PYTEST_",)) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        DATABASE_URL=database_url(),
        # The test's own key, so sessions and signed links made here work there too.
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        FLUXWEB_DEMO_DELAY="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def process(
    args: list[str], env: dict[str, str], log: Path, stop_timeout: float = 10
) -> Iterator[subprocess.Popen]:
    """Run ``args`` from the project root, in a process group of its own, with output to
    ``log``; at the end SIGTERM, and SIGKILL if it has not exited within ``stop_timeout``
    seconds. Processes it forked (RQ's workers) that outlive it are killed too."""
    with log.open("wb") as out:
        child = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            kill_group(child)


def kill_group(child: subprocess.Popen) -> None:
    """SIGKILL every process left in ``child``'s process group (``child`` itself included)."""
    with suppress(ProcessLookupError):  # none left
        os.killpg(child.pid, signal.SIGKILL)


@contextmanager
def worker(env: dict[str, str], log: Path, *extra_args: str) -> Iterator[subprocess.Popen]:
    """``manage.py worker`` as the Procfile runs it: the threaded database worker polling
    fast, or RQ's worker pool, whichever ``FLUXWEB_TASK_BACKEND`` (in ``env``, else this
    run's) picks. A test may signal or kill the process; it is stopped at the end if still
    running."""
    args = [
        sys.executable,
        "manage.py",
        "worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        *extra_args,
    ]
    if (
        "--threads" not in extra_args
        and env.get("FLUXWEB_TASK_BACKEND", settings.FLUXWEB_TASK_BACKEND) == "rq"
    ):
        args += ["--threads", "4"]  # RQ runs a process per job: keep the test machine's memory
    with process(args, env, log, stop_timeout=20) as child:
        yield child


# A test run's claim on its Redis database lapses this many seconds after the run stops
# renewing it, so a killed run frees its database within a minute (a fixed 6-hour claim
# let killed runs pile up until all 15 databases were taken and a CI run could not start).
REDIS_CLAIM_KEY = "fluxweb:test-run"
REDIS_CLAIM_SECONDS = 60


@contextmanager
def own_redis_db() -> Iterator[None]:
    """With ``FLUXWEB_TASK_BACKEND=rq``: give this test run a Redis database (1-15) of its
    own, so parallel runs never run each other's jobs. The database is claimed with a key
    that lapses ``REDIS_CLAIM_SECONDS`` after the run stops renewing it (a thread renews it
    while the run lasts), emptied of an earlier run's leftovers, used by this process
    (``RQ_QUEUES``) and by the processes it starts (``REDIS_URL``), and emptied again at
    the end. Waits up to two claim lifetimes for a free database, then raises
    ``RuntimeError``. Nothing otherwise."""
    if settings.FLUXWEB_TASK_BACKEND != "rq":
        yield
        return
    base = settings.REDIS_URL
    owner = f"{socket.gethostname()}:{os.getpid()}"
    conn, number = _claim_redis_db(base, owner)
    for key in conn.scan_iter():
        if key != REDIS_CLAIM_KEY.encode():
            conn.delete(key)
    stop_renewing = threading.Event()

    def renew() -> None:
        while not stop_renewing.wait(REDIS_CLAIM_SECONDS / 4):
            conn.set(REDIS_CLAIM_KEY, owner, ex=REDIS_CLAIM_SECONDS)

    renewer = threading.Thread(target=renew, name="redis-claim", daemon=True)
    renewer.start()
    own_url = _with_db(base, number)
    previous = os.environ.get("REDIS_URL")
    settings.RQ_QUEUES["default"]["URL"] = own_url
    os.environ["REDIS_URL"] = own_url
    try:
        yield
    finally:
        stop_renewing.set()
        renewer.join()
        conn.flushdb()
        conn.close()
        if previous is None:
            os.environ.pop("REDIS_URL", None)
        else:
            os.environ["REDIS_URL"] = previous


def _claim_redis_db(base: str, owner: str) -> tuple[Any, int]:
    """The first Redis database 1-15 whose claim key this run could set, as (client,
    number); tries again each second for two claim lifetimes, then ``RuntimeError``."""
    import redis

    deadline = time.monotonic() + 2 * REDIS_CLAIM_SECONDS
    while True:
        for number in range(1, 16):
            conn = redis.Redis.from_url(_with_db(base, number))
            if conn.set(REDIS_CLAIM_KEY, owner, nx=True, ex=REDIS_CLAIM_SECONDS):
                return conn, number
            conn.close()
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"every Redis database 1-15 is claimed by a test run (key {REDIS_CLAIM_KEY})"
            )
        time.sleep(1)


def _with_db(url: str, number: int) -> str:
    """``url`` (redis://host:port[/db]) pointing at database ``number``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


@contextmanager
def web_server(
    env: dict[str, str], log: Path, *extra_args: str, stop_timeout: float = 10
) -> Iterator[str]:
    """uvicorn serving the ASGI app (``extra_args`` added to its command line); yields its
    base URL once it answers. Forwarded headers are trusted as in production: only from
    ``FORWARDED_ALLOW_IPS`` (in ``env``), default 127.0.0.1."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "fluxweb.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--proxy-headers",
        "--forwarded-allow-ips",
        env.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # Open event streams (a live gallery still on screen) end at once at the test's end.
        "--timeout-graceful-shutdown",
        "1",
        *extra_args,
    ]
    with process(args, env, log, stop_timeout) as child:
        yield _answering(f"http://127.0.0.1:{port}", child, log)


@contextmanager
def procfile_web(env: dict[str, str], log: Path) -> Iterator[str]:
    """The Procfile's ``web:`` command itself, run by bash with ``PORT`` (a free one) and
    ``HOST`` (127.0.0.1) added to ``env``, one uvicorn worker unless ``env`` says otherwise;
    yields its base URL once it answers."""
    port = free_port()
    (line,) = [
        text for text in (ROOT / "Procfile").read_text().splitlines() if text.startswith("web:")
    ]
    env = {"WEB_CONCURRENCY": "1", **env, "PORT": str(port), "HOST": "127.0.0.1"}
    env["PATH"] = (
        f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the venv's uvicorn
    )
    with process(["bash", "-c", line.removeprefix("web:").strip()], env, log) as child:
        yield _answering(f"http://127.0.0.1:{port}", child, log)


def _answering(base_url: str, child: subprocess.Popen, log: Path) -> str:
    """``base_url`` once the server there answers /healthz; RuntimeError if ``child`` exits
    or 30 s pass first."""
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base_url}/healthz", timeout=1)
            return base_url
        except httpx.TransportError:
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.1)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, log: Path | None = None):
    """Poll ``predicate`` until it returns something truthy; return that or raise
    ``AssertionError`` (with the last lines of ``log``, a process's log, when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    message = f"condition not met within {timeout} s"
    if log is not None and log.exists():
        message += f"; the last lines of {log.name}:\n" + "\n".join(
            log.read_text(errors="replace").splitlines()[-40:]
        )
    raise AssertionError(message)
