"""The database backend's worker runs several generations at once per process, drains on
SIGTERM, and on PostgreSQL a NOTIFY wakes it (and the live hub) without waiting for its poll
interval.

The DeepInfra emulator's ``gate`` holds provider calls open, so the number in flight can
be counted without timing guesswork. The NOTIFY tests set the poll intervals to 60 s and
check that the work is done within a bounded wait far shorter than that.
"""

from __future__ import annotations

import signal
import threading

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fluxweb.generations.models import Generation
from fluxweb.generations.tasks import generate_images
from fluxweb.queue.dbworker import ThreadedWorker
from fluxweb.queue.enqueue import enqueue
from tests.factories import make_generation
from tests.processes import app_env, wait_for, web_server, worker
from tests.test_worker_recovery import deepinfra_env, finished, submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.FLUXWEB_TASK_BACKEND != "database", reason="the database backend's worker"
    ),
]
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="LISTEN/NOTIFY is PostgreSQL's"
)


def task_row(generation: Generation) -> DBTaskResult:
    return DBTaskResult.objects.get(
        task_path=generate_images.module_path, args_kwargs__args=[generation.pk]
    )


def listening(channel: str) -> bool:
    """Whether some process of this test database has LISTENed on ``channel``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = %s",
            [f'LISTEN "{channel}"'],
        )
        return cursor.fetchone()[0] > 0


def test_one_process_runs_as_many_generations_at_once_as_it_has_threads(
    member_client, deepinfra, tmp_path
):
    deepinfra.gate = threading.Event()
    generations = [submit(member_client, f"Lighthouse number {i}, watercolour") for i in range(5)]
    with worker(deepinfra_env(deepinfra), tmp_path / "worker.log", "--threads", "4"):
        wait_for(lambda: deepinfra.in_flight >= 4, timeout=60)
        statuses = sorted(task_row(g).status for g in generations)
        assert deepinfra.in_flight == 4
        assert statuses == [TaskResultStatus.READY] + [TaskResultStatus.RUNNING] * 4
        deepinfra.gate.set()
        wait_for(lambda: all(finished(g) for g in generations), timeout=60)
    assert {g.status for g in generations} == {Generation.Status.SUCCEEDED}
    assert len(deepinfra.requests) == 5


def test_sigterm_finishes_every_running_generation_and_claims_no_more(
    member_client, deepinfra, tmp_path
):
    deepinfra.gate = threading.Event()
    generations = [submit(member_client, f"Lighthouse number {i}, watercolour") for i in range(3)]
    with worker(deepinfra_env(deepinfra), tmp_path / "worker.log", "--threads", "2") as process:
        wait_for(lambda: deepinfra.in_flight >= 2, timeout=60)
        process.send_signal(signal.SIGTERM)
        deepinfra.gate.set()  # the provider answers after the worker was told to stop
        assert process.wait(timeout=60) == 0
    for generation in generations:
        generation.refresh_from_db()
    assert (
        sorted(g.status for g in generations)
        == [Generation.Status.QUEUED] + [Generation.Status.SUCCEEDED] * 2
    )
    assert len(deepinfra.requests) == 2


@postgres_only
def test_notify_wakes_an_idle_worker_long_before_its_poll_interval(
    member_client, deepinfra, tmp_path
):
    env = deepinfra_env(deepinfra)
    with worker(env, tmp_path / "worker.log", "--interval", "60") as process:
        wait_for(lambda: listening("fluxweb_tasks"))  # idle: nothing is queued
        generation = submit(member_client)
        # Well inside the 60 s interval: only the NOTIFY can have woken it.
        wait_for(lambda: finished(generation), timeout=20)
        assert process.poll() is None
    assert generation.status == Generation.Status.SUCCEEDED, generation.error


@postgres_only
def test_notify_wakes_the_live_hub_long_before_its_poll_interval(
    member_client, deepinfra, tmp_path
):
    generation = submit(member_client)  # no worker: it stays queued
    env = app_env(FLUXWEB_LIVE_POLL_INTERVAL="60", FLUXWEB_LIVE_NOTIFY_FALLBACK="60")
    with web_server(env, tmp_path / "web.log") as base_url:
        http = httpx.Client(
            base_url=base_url, cookies={"sessionid": member_client.cookies["sessionid"].value}
        )
        seen: list[str] = []
        connected = threading.Event()

        def listen():
            with http.stream("GET", "/gallery/events/", timeout=30) as stream:
                for line in stream.iter_lines():
                    connected.set()
                    seen.append(line)
                    if f'id="generation-{generation.pk}"' in line and "card--pinned" in line:
                        return

        reader = threading.Thread(target=listen, daemon=True)
        reader.start()
        assert connected.wait(timeout=20)
        wait_for(lambda: listening("fluxweb_generations"))
        generation.set_pinned(True)
        reader.join(timeout=20)  # well inside the 60 s poll interval
        assert not reader.is_alive(), "the hub did not push the change"
    assert any(f'id="generation-{generation.pk}"' in line for line in seen)


def in_process_worker(worker_class: type[ThreadedWorker] = ThreadedWorker, **options):
    """A ``worker_class`` for this test process's database: 2 threads, batch mode, quick
    interval, unless ``options`` say otherwise."""
    defaults = {
        "threads": 2,
        "queue_names": ["default"],
        "excluded_queue_names": [],
        "batch": True,
        "interval": 0.1,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
    }
    return worker_class(**{**defaults, **options})


def queued_demo_generations(user, count: int) -> list[Generation]:
    generations = [
        make_generation(user, f"Lighthouse number {i}", width=64, height=64) for i in range(count)
    ]
    for generation in generations:
        enqueue(generate_images, generation.pk)
    return generations


def test_a_batch_worker_runs_every_queued_task_until_the_queue_is_empty(member):
    generations = queued_demo_generations(member, 7)
    in_process_worker(threads=2).run()
    assert {finished(g).status for g in generations} == {Generation.Status.SUCCEEDED}
    assert not DBTaskResult.objects.ready().exists()


def test_max_tasks_bounds_the_tasks_claimed(member):
    generations = queued_demo_generations(member, 6)
    in_process_worker(threads=2, max_tasks=3).run()
    for generation in generations:
        generation.refresh_from_db()
    assert (
        sorted(g.status for g in generations)
        == [Generation.Status.QUEUED] * 3 + [Generation.Status.SUCCEEDED] * 3
    )
    assert DBTaskResult.objects.ready().count() == 3


def test_a_claim_takes_up_to_its_limit_of_ready_tasks_in_queue_order(member):
    generations = queued_demo_generations(member, 5)
    claimer = in_process_worker()
    retrieved, first = claimer.claim(3)
    assert retrieved and len(first) == 3
    _, rest = claimer.claim(10)
    assert len(rest) == 2  # fewer than asked: the queue is empty now
    assert claimer.claim(1) == (True, [])
    claimed = [task.args_kwargs["args"][0] for task in first + rest]
    assert claimed == [g.pk for g in generations]  # oldest first, each once
    for task in DBTaskResult.objects.all():
        assert (task.status, task.worker_ids) == (TaskResultStatus.RUNNING, ["test-worker"])


class CountingWorker(ThreadedWorker):
    """Counts its claim transactions; ``ran`` is set when a pool thread is done with a task
    (the claims it makes afterwards included)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.claims = 0
        self.ran = threading.Event()

    def claim(self, limit: int = 1):
        self.claims += 1
        return super().claim(limit)

    def _run(self, task_result) -> None:
        super()._run(task_result)
        self.ran.set()


def test_a_claim_that_finds_fewer_tasks_than_free_threads_ends_the_claims_until_woken(
    member, settings
):
    """One queued task, four free threads: one claim runs it; the claimer then waits for a
    wake-up or its interval instead of asking an empty queue again (and the thread that ran
    the task does not ask either). No LISTEN here: its first connection wakes the claimer."""
    settings.FLUXWEB_PG_NOTIFY = False
    (generation,) = queued_demo_generations(member, 1)
    counting = in_process_worker(CountingWorker, threads=4, batch=False, interval=60)
    running = threading.Thread(target=counting.run)
    running.start()
    try:
        assert counting.ran.wait(timeout=30)
    finally:
        counting.running = False
        counting.wake()
        running.join(timeout=30)
    assert not running.is_alive()
    assert finished(generation).status == Generation.Status.SUCCEEDED
    assert counting.claims == 1
