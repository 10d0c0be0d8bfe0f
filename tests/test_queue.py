"""The queue seam's rule: a worker sees a task only once the transaction that asked for it
commits, and a rollback leaves none. The database backend writes the task row in that
transaction; the Redis backend sends the job after its commit (this file also runs with
``FLUXWEB_TASK_BACKEND=rq``, .ci/run)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fluxweb.budgets.models import Hold, Quota
from fluxweb.generations.models import Generation
from fluxweb.generations.services import submit_generation
from fluxweb.generations.tasks import generate_images
from fluxweb.queue import notify
from fluxweb.queue.enqueue import DATABASE, RQ, backend_kind, enqueue
from tests.budget_factories import submit_data
from tests.queue_helpers import enqueued, enqueued_results

pytestmark = pytest.mark.django_db(transaction=True)

on_database = pytest.mark.skipif(backend_kind() != DATABASE, reason="the database backend")
on_redis = pytest.mark.skipif(backend_kind() != RQ, reason="the Redis backend")
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second connection to PostgreSQL"
)


def task_rows() -> list[tuple[str, list[object]]]:
    """(task path, args) of every task row this connection can see."""
    return [
        (row.task_path, row.args_kwargs["args"])
        for row in DBTaskResult.objects.order_by("enqueued_at")
    ]


@on_database
def test_the_task_row_is_written_in_the_callers_transaction_and_rolls_back_with_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(generate_images, 41)
        assert task_rows() == [(generate_images.module_path, [41])]
        raise RuntimeError("anything failing before the commit")
    assert task_rows() == []


@on_database
@on_postgresql
def test_workers_see_the_task_row_and_its_wake_up_only_when_it_commits():
    with psycopg.connect(notify.conninfo(), autocommit=True) as worker:
        worker.execute(f"LISTEN {notify.TASKS}")

        def seen() -> tuple[int, int]:
            """Task rows the worker's connection sees, and wake-ups it has been sent."""
            query = f"SELECT count(*) FROM {DBTaskResult._meta.db_table}"
            (count,) = worker.execute(query).fetchone()
            return count, len(list(worker.notifies(timeout=0.3, stop_after=1)))

        with transaction.atomic():
            enqueue(generate_images, 41)
            assert seen() == (0, 0)
        assert seen() == (1, 1)


@on_redis
def test_with_redis_the_job_is_sent_when_the_transaction_commits():
    with enqueued() as tasks:
        with transaction.atomic():
            enqueue(generate_images, 41)
            assert tasks == []  # a worker cannot see it yet
        assert tasks == [("generate_images", [41])]


def test_outside_a_transaction_the_task_is_enqueued_at_once():
    with enqueued() as tasks:
        enqueue(generate_images, 42)
    assert tasks == [("generate_images", [42])]


def test_a_rolled_back_submit_leaves_no_generation_and_no_task(member):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit_generation(member, submit_data())
        raise RuntimeError("anything failing before the commit")
    assert not Generation.objects.exists()
    if backend_kind() == DATABASE:
        assert task_rows() == []


def test_a_committed_submit_enqueues_its_generation_once(member):
    with enqueued() as tasks:
        generation = submit_generation(member, submit_data())
    assert tasks == [("generate_images", [generation.pk])]


def test_the_task_can_be_looked_up_through_django_tasks(member):
    with enqueued_results() as results:
        generation = submit_generation(member, submit_data())
    (result,) = results
    stored = generate_images.get_result(result.id)
    assert stored.args == [generation.pk] and stored.status == TaskResultStatus.READY


@on_database
def test_a_task_row_that_cannot_be_written_fails_the_submit_and_keeps_nothing(member, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("could not extend the task table")

    monkeypatch.setattr(type(generate_images), "enqueue", broken)
    with pytest.raises(DatabaseError, match="could not extend"):
        submit_generation(member, submit_data())
    assert not Generation.objects.exists() and not Hold.objects.exists()
    assert not Quota.objects.filter(user=member, reserved_usd__gt=0).exists()


@on_redis
def test_with_redis_a_failed_send_is_logged_and_the_commit_stands(member, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("the task backend is unreachable")

    monkeypatch.setattr(type(generate_images), "enqueue", broken)
    generation = submit_generation(member, submit_data())  # does not raise
    generation.refresh_from_db()
    assert generation.status == Generation.Status.QUEUED  # the sweep will requeue it
    assert "the task backend is unreachable" in caplog.text
