"""Submit → real worker process → provider emulator over HTTP → stored image → live stream."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from fluxweb.generations.models import Generation
from tests.emulators.deepinfra import API_KEY
from tests.processes import app_env, wait_for, web_server, worker

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, **fields):
    data = {
        "prompt": "A T-Rex relaxing on a beach, lying on a sun lounger and wearing sunglasses.",
        "model": "deepinfra/flux-1-schnell",
        "width": 512,
        "height": 384,
        "num_inference_steps": 4,
        "num_images": 1,
    }
    data.update(fields)
    response = client.post("/generations/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    return Generation.objects.latest("id")


def finished(generation):
    generation.refresh_from_db()
    return generation if generation.is_finished else None


def test_worker_runs_generation_through_deepinfra_protocol(member_client, deepinfra, tmp_path):
    env = app_env(DEEPINFRA_API_KEY=API_KEY, DEEPINFRA_BASE_URL=deepinfra.base_url)
    with worker(env, tmp_path / "worker.log"):
        generation = submit(member_client)
        wait_for(lambda: finished(generation))
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    (image,) = generation.images.all()
    with default_storage.open(image.file.name) as stored, Image.open(stored) as picture:
        assert picture.size == (512, 384)
    assert (image.width, image.height, image.content_type) == (512, 384, "image/png")
    assert generation.actual_cost_usd is not None and generation.actual_cost_usd > 0
    (sent,) = deepinfra.requests
    assert sent.json()["seed"] == generation.seed


def test_provider_failure_ends_failed_and_worker_lives_on(member_client, deepinfra, tmp_path):
    env = app_env(DEEPINFRA_API_KEY=API_KEY, DEEPINFRA_BASE_URL=deepinfra.base_url)
    deepinfra.fault, deepinfra.fault_times = "401", 1
    with worker(env, tmp_path / "worker.log") as process:
        failed = submit(member_client)
        wait_for(lambda: finished(failed))
        assert failed.status == Generation.Status.FAILED
        assert failed.error == "the provider rejected the API key"
        ok = submit(member_client)
        wait_for(lambda: finished(ok))
        assert ok.status == Generation.Status.SUCCEEDED
        assert process.poll() is None


def test_live_stream_delivers_the_finished_card(member, member_client, tmp_path):
    """The SSE endpoint under uvicorn pushes the card as it goes queued → running → succeeded."""
    env = app_env()
    with web_server(env, tmp_path / "web.log") as base_url, worker(env, tmp_path / "worker.log"):
        http = httpx.Client(
            base_url=base_url, cookies={"sessionid": member_client.cookies["sessionid"].value}
        )
        page = http.get("/")
        since = re.search(r'since=([^"]*)"', page.text).group(1)
        seen: list[str] = []

        def listen():
            with http.stream("GET", f"/gallery/events/?since={since}", timeout=30) as stream:
                for line in stream.iter_lines():
                    seen.append(line)
                    if "card--succeeded" in line:
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        generation = submit(member_client, model="demo/placeholder")
        listener.join(timeout=20)
    statuses = re.findall(r'id="generation-(\d+)"', "\n".join(seen))
    assert str(generation.pk) in statuses
    assert any("card--succeeded" in line for line in seen)
    assert "event: generation" in seen
