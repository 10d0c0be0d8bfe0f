"""Run fluxweb's real processes (task worker, uvicorn) against the test database.

Tests that use these need ``@pytest.mark.django_db(transaction=True)`` so the rows they
write are committed and visible to the child processes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

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
    return f"postgres://{credentials}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def app_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: the test database and media, demo without delay."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(PROVIDER_PREFIXES + ("PYTEST_",)) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        DATABASE_URL=database_url(),
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
def process(args: list[str], env: dict[str, str], log: Path, stop_timeout: float = 10) -> Iterator[subprocess.Popen]:
    """Run ``args`` from the project root with output to ``log``; at the end SIGTERM, and
    SIGKILL if it has not exited within ``stop_timeout`` seconds."""
    with log.open("wb") as out:
        child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextmanager
def worker(env: dict[str, str], log: Path, *extra_args: str) -> Iterator[subprocess.Popen]:
    """``manage.py worker`` (db_worker plus the sweep) as the Procfile runs it, polling fast.
    A test may signal or kill the process; it is stopped at the end if still running."""
    args = [sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay", "--interval", "0.1", *extra_args]
    with process(args, env, log) as child:
        yield child


@contextmanager
def web_server(env: dict[str, str], log: Path, *extra_args: str, stop_timeout: float = 10) -> Iterator[str]:
    """uvicorn serving the ASGI app (``extra_args`` added to its command line); yields its
    base URL once it answers."""
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "fluxweb.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            *extra_args]
    base_url = f"http://127.0.0.1:{port}"
    with process(args, env, log, stop_timeout) as child:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield base_url


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; return that or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
