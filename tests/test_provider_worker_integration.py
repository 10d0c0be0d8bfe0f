"""Each seed provider through the real worker process: the browser's form → db_worker →
the provider's contract emulator over HTTP → a stored image of the requested size; and a
fault that ends failed while the worker lives on."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from fluxweb.generations.models import Generation
from tests.processes import app_env, wait_for, worker
from tests.provider_cases import PROVIDERS, generation_fields

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, name: str) -> Generation:
    fields = generation_fields(name)
    data = {
        "prompt": "A lighthouse on a cliff at dusk, oil painting",
        "model": fields["model"],
        "width": fields["width"],
        "height": fields["height"],
        "num_images": 1,
    }
    if fields["num_inference_steps"]:
        data["num_inference_steps"] = fields["num_inference_steps"]
    before = Generation.objects.count()
    response = client.post("/generations/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    assert Generation.objects.count() == before + 1, response.content.decode()  # the form was valid
    return Generation.objects.latest("id")


def finished(generation: Generation) -> Generation | None:
    generation.refresh_from_db()
    return generation if generation.is_finished else None


@pytest.mark.parametrize("name", PROVIDERS)
def test_worker_generates_through_each_provider_and_survives_a_fault(
    request, member_client, tmp_path, name
):
    emulator = request.getfixturevalue(name)
    if name == "imagepipeline":
        emulator.pending_polls = 2  # the whole PENDING → poll → SUCCESS flow
    emulator.fault, emulator.fault_times = "401", 1
    log = tmp_path / "worker.log"
    # A generous deadline, which only matters when the worker never finishes: CI once timed
    # out at the default 20 s here while the machine ran other tests beside it.
    with worker(app_env(**emulator.env), log) as process:
        failed = submit(member_client, name)
        wait_for(lambda: finished(failed), timeout=60, log=log)
        ok = submit(member_client, name)
        wait_for(lambda: finished(ok), timeout=60, log=log)
        assert process.poll() is None, log.read_text()
    assert (failed.status, failed.error) == (
        Generation.Status.FAILED,
        "the provider rejected the API key",
    )
    assert ok.status == Generation.Status.SUCCEEDED, ok.error
    (image,) = ok.images.all()
    with default_storage.open(image.file.name) as stored, Image.open(stored) as picture:
        assert picture.size == (ok.width, ok.height)
    assert (image.width, image.height) == (ok.width, ok.height)
