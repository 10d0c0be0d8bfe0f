"""The queue seam's one rule: a task is enqueued when the surrounding transaction commits."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus

from fluxweb.generations.models import Generation
from fluxweb.generations.services import submit_generation
from fluxweb.generations.tasks import generate_images
from fluxweb.queue.enqueue import enqueue
from tests.budget_factories import submit_data
from tests.queue_helpers import enqueued

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_is_not_visible_before_the_commit_and_is_after_it():
    with enqueued() as tasks:
        with transaction.atomic():
            enqueue(generate_images, 41)
            assert tasks == []  # a worker cannot see it yet
        assert tasks == [("generate_images", [41])]


def test_the_enqueued_task_waits_for_a_worker():
    with enqueued() as tasks:
        enqueue(generate_images, 42)  # outside a transaction: at once
    assert tasks == [("generate_images", [42])]


def test_a_rollback_enqueues_nothing(member):
    with enqueued() as tasks, pytest.raises(RuntimeError), transaction.atomic():
        submit_generation(member, submit_data())
        raise RuntimeError("anything failing before the commit")
    assert tasks == [] and not Generation.objects.exists()


def test_a_committed_submit_enqueues_its_generation_once(member):
    with enqueued() as tasks:
        generation = submit_generation(member, submit_data())
    assert tasks == [("generate_images", [generation.pk])]


def test_the_task_can_be_looked_up_through_django_tasks(member):
    results = []
    from django.tasks.signals import task_enqueued

    def record(sender, task_result, **kwargs):
        results.append(task_result)

    task_enqueued.connect(record, weak=False)
    try:
        generation = submit_generation(member, submit_data())
    finally:
        task_enqueued.disconnect(record)
    (result,) = results
    stored = generate_images.get_result(result.id)
    assert stored.args == [generation.pk] and stored.status == TaskResultStatus.READY


def test_a_failed_enqueue_is_logged_and_the_commit_stands(member, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("the task backend is unreachable")

    monkeypatch.setattr(type(generate_images), "enqueue", broken)
    generation = submit_generation(member, submit_data())  # does not raise
    generation.refresh_from_db()
    assert generation.status == Generation.Status.QUEUED  # the sweep will requeue it
    assert "the task backend is unreachable" in caplog.text
