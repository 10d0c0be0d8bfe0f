"""A waiting API request wakes when its generation finishes, whoever finishes it."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import connection  # noqa: F401 (the skipif condition reads it)
from django.test.utils import override_settings

from fluxweb.api import waiting
from fluxweb.generations.models import Generation
from fluxweb.generations.running import fail_generation
from fluxweb.generations.services import delete_generation
from tests.factories import make_generation

pytestmark = pytest.mark.django_db(transaction=True)


def finish_later(action, ready: threading.Event) -> threading.Thread:
    """Run ``action`` in another thread (its own connection) once the waiters are in."""

    def run() -> None:
        ready.wait(10)
        action()
        connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def wait_all(ids: list[int], timeout: float, ready: threading.Event) -> list[bool]:
    tasks = [asyncio.ensure_future(waiting.wait_until_finished(pk, timeout)) for pk in ids]
    await asyncio.sleep(0)  # every waiter registered
    ready.set()
    return list(await asyncio.gather(*tasks))


@pytest.mark.parametrize("pg_notify", [True, False], ids=["notify", "poll"])
def test_waiters_wake_when_their_generation_fails_or_is_deleted(member, pg_notify):
    failing, deleted = make_generation(member, "fails"), make_generation(member, "deleted")
    ready = threading.Event()

    def finish() -> None:
        fail_generation(Generation.objects.get(pk=failing.pk), "the provider said no")
        delete_generation(Generation.objects.get(pk=deleted.pk))

    with override_settings(FLUXWEB_PG_NOTIFY=pg_notify):
        thread = finish_later(finish, ready)
        # Two requests wait for the same generation, one for the other.
        woke = asyncio.run(wait_all([failing.pk, failing.pk, deleted.pk], 60, ready))
        thread.join()
    assert woke == [True, True, True]
    assert Generation.objects.get(pk=failing.pk).status == Generation.Status.FAILED


def test_a_generation_still_queued_is_waited_for_until_the_timeout(member):
    queued = make_generation(member, "stays queued")
    assert asyncio.run(waiting.wait_until_finished(queued.pk, 0.3)) is False


def test_one_query_tells_which_of_many_generations_finished_or_are_gone(
    member, django_assert_num_queries
):
    queued = [make_generation(member, f"queued {i}") for i in range(3)]
    failed = make_generation(member, "failed")
    fail_generation(failed, "no")
    with django_assert_num_queries(1):
        done = waiting.finished_or_gone([g.pk for g in queued] + [failed.pk, 999_999])
    assert done == {failed.pk, 999_999}


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_a_finish_notified_on_postgresql_wakes_its_waiter_without_a_look(member, monkeypatch):
    """Once the watch listens, a generation's finish wakes its request through the trigger's
    notification, with no query; a request that registers after the notification came
    returns at once, also without one."""
    monkeypatch.setattr(waiting, "FALLBACK", 600.0)  # no fallback look during the test
    looks: list[list[int]] = []
    look = waiting.finished_or_gone
    monkeypatch.setattr(waiting, "finished_or_gone", lambda ids: looks.append(ids) or look(ids))
    first, second = make_generation(member, "first"), make_generation(member, "second")

    def fail(pk: int) -> None:
        fail_generation(Generation.objects.get(pk=pk), "the provider said no")
        connection.close()

    async def scenario() -> tuple[bool, int, bool, int]:
        waiter = asyncio.ensure_future(waiting.wait_until_finished(first.pk, 30))
        await asyncio.sleep(0)
        watch = waiting._watches[asyncio.get_running_loop()]
        while not (watch._listening() and not watch.look_now and not watch.wake.is_set()):
            await asyncio.sleep(0.05)  # connected, and the look on connecting done
        looked = len(looks)
        await asyncio.to_thread(fail, first.pk)
        woke = await asyncio.wait_for(waiter, 10)
        looks_for_first = len(looks) - looked

        await asyncio.to_thread(fail, second.pk)  # nobody waits for it yet
        while second.pk not in watch.recent:
            await asyncio.sleep(0.05)
        looked = len(looks)
        late = await asyncio.wait_for(waiting.wait_until_finished(second.pk, 30), 1)
        return woke, looks_for_first, late, len(looks) - looked

    with override_settings(FLUXWEB_PG_NOTIFY=True):
        woke, looks_for_first, late, looks_for_second = asyncio.run(scenario())
    assert (woke, looks_for_first) == (True, 0)
    assert (late, looks_for_second) == (True, 0)
