"""The official openai SDK against fluxweb served by uvicorn with a real worker."""

import base64
import io

import httpx
import openai
import pytest
from PIL import Image

from fluxweb.generations.models import Generation
from tests.processes import app_env, web_server, worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(tmp_path):
    env = app_env()
    with web_server(env, tmp_path / "web.log") as base_url, worker(env, tmp_path / "worker.log"):
        yield base_url


def test_sdk_generates_and_the_gallery_records_it(api, member, token):
    client = openai.OpenAI(base_url=f"{api}/v1", api_key=token, max_retries=0)
    result = client.images.generate(
        model="demo/placeholder",
        prompt="A T-Rex relaxing on a beach",
        size="512x256",
        n=1,
        response_format="b64_json",
        extra_body={"seed": 4242, "num_inference_steps": 3},
    )
    with Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json))) as image:
        assert image.size == (512, 256)
    generation = Generation.objects.get()
    assert (
        generation.author,
        generation.source,
        generation.seed,
        generation.num_inference_steps,
    ) == (member, "api", 4242, 3)

    linked = client.images.generate(model="demo/placeholder", prompt="a harbour", size="128x128")
    assert httpx.get(linked.data[0].url).headers["content-type"] == "image/png"

    models = [m.id for m in client.models.list()]
    assert "demo/placeholder" in models


def test_sdk_raises_openai_errors(api, token):
    with pytest.raises(openai.AuthenticationError) as caught:
        openai.OpenAI(base_url=f"{api}/v1", api_key="fw_wrong", max_retries=0).images.generate(
            model="demo/placeholder", prompt="x"
        )
    assert caught.value.code == "invalid_api_key"
    client = openai.OpenAI(base_url=f"{api}/v1", api_key=token, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="demo/placeholder", prompt="x", size="9999x10")
    assert caught.value.param == "size"
