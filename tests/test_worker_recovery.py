"""Real worker processes: several share the queue, a killed one leaves nothing stuck, a
terminated one finishes its generation first.

The DeepInfra emulator's ``gate`` holds provider calls open, so signals land mid-call
without any timing guesswork.
"""

from __future__ import annotations

import signal
import threading

import pytest

from fluxweb.generations.models import Generation
from tests.emulators.deepinfra import API_KEY
from tests.processes import app_env, kill_group, wait_for, worker

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, prompt: str = "A lighthouse in a storm, oil painting") -> Generation:
    data = {
        "prompt": prompt,
        "model": "deepinfra/flux-1-schnell",
        "width": 256,
        "height": 256,
        "num_inference_steps": 1,
        "num_images": 1,
    }
    response = client.post("/generations/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    return Generation.objects.latest("id")


def finished(generation: Generation) -> Generation | None:
    generation.refresh_from_db()
    return generation if generation.is_finished else None


def deepinfra_env(deepinfra, **extra: str) -> dict[str, str]:
    return app_env(DEEPINFRA_API_KEY=API_KEY, DEEPINFRA_BASE_URL=deepinfra.base_url, **extra)


def test_worker_killed_mid_call_leaves_a_failed_generation_with_a_reason(
    member_client, deepinfra, tmp_path
):
    deepinfra.gate = threading.Event()  # the provider call never answers while the worker lives
    with worker(deepinfra_env(deepinfra), tmp_path / "killed.log") as doomed:
        generation = submit(member_client)
        wait_for(lambda: deepinfra.in_flight)
        kill_group(doomed)  # the machine is lost: the worker and any process it forked
        assert doomed.wait(timeout=10) == -signal.SIGKILL
    generation.refresh_from_db()
    assert (
        generation.status == Generation.Status.RUNNING and generation.provider_called_at is not None
    )

    env = deepinfra_env(deepinfra, FLUXWEB_STUCK_AFTER="1", FLUXWEB_SWEEP_INTERVAL="0.2")
    with worker(env, tmp_path / "rescuer.log"):  # its sweep finds the generation
        wait_for(lambda: finished(generation))
    assert generation.status == Generation.Status.FAILED
    assert "stopped while DeepInfra was working on it" in generation.error
    assert generation.requeues == 0
    assert len(deepinfra.requests) == 1  # not sent again: it may have been charged


def test_sigterm_lets_the_running_generation_finish_then_exits(member_client, deepinfra, tmp_path):
    deepinfra.gate = threading.Event()
    with worker(deepinfra_env(deepinfra), tmp_path / "worker.log") as process:
        generation = submit(member_client)
        wait_for(lambda: deepinfra.in_flight)
        process.send_signal(signal.SIGTERM)
        deepinfra.gate.set()  # the provider answers after the worker was told to stop
        assert process.wait(timeout=60) == 0
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.images.count() == 1


def test_three_workers_share_the_queue_and_run_each_generation_once(
    member_client, deepinfra, tmp_path
):
    deepinfra.gate = threading.Event()
    prompts = [f"Lighthouse number {i}, watercolour" for i in range(30)]
    generations = [submit(member_client, prompt) for prompt in prompts]
    env = deepinfra_env(deepinfra)
    with (
        worker(env, tmp_path / "worker-1.log", "--threads", "1"),
        worker(env, tmp_path / "worker-2.log", "--threads", "1"),
        worker(env, tmp_path / "worker-3.log", "--threads", "1"),
    ):
        # Three calls held open at once: one per worker (one thread each).
        wait_for(lambda: deepinfra.in_flight >= 3, timeout=60)
        deepinfra.gate.set()
        wait_for(lambda: all(finished(g) for g in generations), timeout=120)

    # Each generation reached the provider exactly once, though three workers competed.
    assert sorted(request.json()["prompt"] for request in deepinfra.requests) == sorted(prompts)
    assert {g.status for g in generations} == {Generation.Status.SUCCEEDED}
