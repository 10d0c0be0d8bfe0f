"""DeepInfra native endpoint, over HTTP against the contract emulator."""

from decimal import Decimal

import pytest

from fluxweb.providers.base import (
    AuthenticationError,
    GenerationRequest,
    InvalidResponseError,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.deepinfra import DeepInfraProvider
from tests.emulators.deepinfra import API_KEY
from tests.emulators.server import serve


@pytest.fixture
def provider(deepinfra):
    return DeepInfraProvider(API_KEY, deepinfra.base_url)


def request_for(provider, model_id="deepinfra/flux-1-schnell", **overrides):
    model = {m.id: m for m in provider.models()}[model_id]
    fields = {
        "model": model,
        "prompt": "A T-Rex on a beach",
        "width": 512,
        "height": 384,
        "num_images": 1,
        "num_inference_steps": 4,
        "seed": 1234,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def test_sends_the_documented_request(provider, deepinfra):
    provider.generate(request_for(provider, num_images=2))
    (sent,) = deepinfra.requests
    assert sent.method == "POST"
    assert sent.path == "/v1/inference/black-forest-labs/FLUX-1-schnell"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "prompt": "A T-Rex on a beach",
        "width": 512,
        "height": 384,
        "num_images": 2,
        "num_inference_steps": 4,
        "seed": 1234,
    }


def test_dev_model_goes_to_its_own_path(provider, deepinfra):
    provider.generate(request_for(provider, "deepinfra/flux-1-dev", num_inference_steps=25))
    assert deepinfra.requests[0].path == "/v1/inference/black-forest-labs/FLUX-1-dev"


def test_parses_images_seed_and_reported_cost(provider):
    result = provider.generate(request_for(provider, num_images=2))
    assert len(result.images) == 2
    assert result.images[0].startswith(b"\x89PNG")
    assert result.seed == 1234
    # The emulator reports DeepInfra's formula: 0.0005 × 0.5 × 0.375 × 4 × 2.
    assert result.cost_usd == Decimal("0.00075")
    assert result.metadata["request_id"]


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("401", AuthenticationError, "the provider rejected the API key"),
        ("422", ProviderError, "DeepInfra refused the request (HTTP 422): unsafe prompt"),
        ("429", RetryableProviderError, "DeepInfra is rate limiting requests"),
        ("500", RetryableProviderError, "DeepInfra had a server error (HTTP 500)"),
        ("malformed", InvalidResponseError, "malformed answer"),
        ("no-images", InvalidResponseError, "returned no image"),
    ],
)
def test_errors_become_typed_provider_errors(provider, deepinfra, fault, error, reason):
    deepinfra.fault = fault
    with pytest.raises(error) as caught:
        provider.generate(request_for(provider))
    assert type(caught.value) is error
    assert reason in caught.value.reason
    assert API_KEY not in caught.value.reason


def test_wrong_key_is_reported_as_rejected_key(deepinfra):
    provider = DeepInfraProvider("not-the-key", deepinfra.base_url)
    with pytest.raises(AuthenticationError, match="rejected the API key"):
        provider.generate(request_for(provider))


def test_connection_refused_is_retryable():
    with serve(lambda: None) as base_url:  # a port that is then closed
        pass
    provider = DeepInfraProvider(API_KEY, base_url)
    with pytest.raises(RetryableProviderError, match="could not connect to DeepInfra"):
        provider.generate(request_for(provider))


def test_timeout_is_retryable(provider, deepinfra, settings):
    settings.FLUXWEB_PROVIDER_TIMEOUT = 0.2
    deepinfra.latency = 1.0
    with pytest.raises(RetryableProviderError, match="did not answer in time"):
        provider.generate(request_for(provider))
