"""The OpenAI-style images provider (seed 003): DeepInfra's mount and a generic endpoint."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from fluxweb.providers.base import (
    AuthenticationError,
    GenerationRequest,
    InvalidResponseError,
    OutOfCreditsError,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.openai_images import deepinfra_openai, generic_openai
from fluxweb.providers.pricing import FLUX_DEV, FLUX_SCHNELL
from tests.emulators.deepinfra import API_KEY as DEEPINFRA_KEY
from tests.emulators.openai_images import API_KEY


@pytest.fixture
def provider(deepinfra_openai):
    return deepinfra_openai_provider(deepinfra_openai.base_url)


def deepinfra_openai_provider(base_url):
    return deepinfra_openai(DEEPINFRA_KEY, base_url)


def request_for(provider, model_id="deepinfra-openai/flux-1-schnell", **overrides):
    model = {m.id: m for m in provider.models()}[model_id]
    fields = {
        "model": model,
        "prompt": "An astronaut riding a horse on Mars",
        "width": 512,
        "height": 384,
        "num_images": 2,
        "num_inference_steps": 4,
        "seed": 5,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def test_deepinfra_models_have_no_steps_or_seed_and_deepinfra_prices(provider):
    schnell, dev = provider.models()
    assert (schnell.id, dev.id) == (
        "deepinfra-openai/flux-1-schnell",
        "deepinfra-openai/flux-1-dev",
    )
    assert all(
        m.steps is None and m.seed is None and m.guidance_scale is None for m in (schnell, dev)
    )
    assert (schnell.price, dev.price) == (FLUX_SCHNELL, FLUX_DEV)
    # The estimate assumes schnell's usual 4 steps: 1024² × 4 × $0.0005.
    assert str(schnell.estimate_cost(1024, 1024, None, 1)) == "0.002000"


def test_sends_the_documented_request_without_steps_or_seed(provider, deepinfra_openai):
    provider.generate(request_for(provider))
    (sent,) = deepinfra_openai.requests
    assert (sent.method, sent.path) == ("POST", "/v1/openai/images/generations")
    assert sent.headers["authorization"] == f"Bearer {DEEPINFRA_KEY}"
    assert sent.json() == {
        "model": "black-forest-labs/FLUX-1-schnell",
        "prompt": "An astronaut riding a horse on Mars",
        "n": 2,
        "size": "512x384",
        "response_format": "b64_json",
    }


@pytest.mark.parametrize("url_images", [False, True])
def test_b64_json_and_url_answers_give_the_jpeg_images(provider, deepinfra_openai, url_images):
    deepinfra_openai.url_images = url_images
    result = provider.generate(request_for(provider))
    for data in result.images:
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == ("JPEG", (512, 384))
    assert len(result.images) == 2 and result.seed is None
    assert len(deepinfra_openai.downloads) == (2 if url_images else 0)


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("401", AuthenticationError, "the provider rejected the API key"),
        ("403", AuthenticationError, "the provider rejected the API key"),
        ("insufficient-quota", OutOfCreditsError, "says the account is out of credits"),
        ("429", RetryableProviderError, "is rate limiting requests: Rate limited"),
        ("500", RetryableProviderError, "had a server error (HTTP 500)"),
        ("malformed", InvalidResponseError, "malformed answer (not JSON)"),
        ("html", InvalidResponseError, "malformed answer (not JSON)"),
        ("no-image", InvalidResponseError, "returned no image"),
        ("url-offsite", InvalidResponseError, "image URL that is not https"),
    ],
)
def test_errors_become_typed_provider_errors(provider, deepinfra_openai, fault, error, reason):
    deepinfra_openai.fault = fault
    with pytest.raises(error) as caught:
        provider.generate(request_for(provider))
    assert type(caught.value) is error
    assert reason in caught.value.reason
    assert DEEPINFRA_KEY not in caught.value.reason


def test_validation_errors_carry_the_providers_message(provider):
    with pytest.raises(ProviderError, match=r"refused the request \(HTTP 422\): ensure 1 ≤ n ≤ 4"):
        provider.generate(request_for(provider, num_images=5))


def test_generic_endpoint_from_settings_names(openai_images, settings):
    provider = generic_openai(
        API_KEY, settings.OPENAI_IMAGES_BASE_URL, settings.OPENAI_IMAGES_MODELS
    )
    assert provider.slug == "openai-images"
    assert [m.id for m in provider.models()] == [
        "openai-images/black-forest-labs/FLUX.1-schnell",
        "openai-images/flux-dev",
    ]
    assert provider.label == f"OpenAI-compatible ({openai_images.base_url.split('//')[1]})"
    dev = provider.models()[1]
    assert dev.price == FLUX_DEV and dev.steps is None
    result = provider.generate(request_for(provider, "openai-images/flux-dev", num_images=1))
    assert len(result.images) == 1
    assert openai_images.requests[0].path == "/v1/images/generations"
    assert openai_images.requests[0].json()["model"] == "flux-dev"


def test_a_model_name_too_long_for_an_id_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="too long"):
        generic_openai(API_KEY, "https://proxy.example/v1", ["x" * 60])
