"""AIML API (seeds 000/004) over HTTP against its contract emulator."""

import io

import pytest
from PIL import Image

from fluxweb.providers.aimlapi import AIMLAPIProvider
from fluxweb.providers.base import (
    AuthenticationError,
    GenerationRequest,
    InvalidResponseError,
    OutOfCreditsError,
    ProviderError,
    RetryableProviderError,
)
from tests.emulators.aimlapi import API_KEY


@pytest.fixture
def provider(aimlapi):
    return AIMLAPIProvider(API_KEY, aimlapi.base_url)


def request_for(provider, model_id="aimlapi/flux-schnell", **overrides):
    model = {m.id: m for m in provider.models()}[model_id]
    fields = {
        "model": model,
        "prompt": "A T-Rex relaxing on a beach",
        "width": 512,
        "height": 384,
        "num_images": 1,
        "num_inference_steps": 4,
        "seed": 1234,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def size_of(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_schnell_sends_the_documented_request(provider, aimlapi):
    provider.generate(request_for(provider, num_images=2, guidance_scale=3.5))
    (sent,) = aimlapi.requests
    assert (sent.method, sent.path) == ("POST", "/v1/images/generations")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    # No guidance for schnell: its schema does not accept the field.
    assert sent.json() == {
        "model": "flux/schnell",
        "prompt": "A T-Rex relaxing on a beach",
        "image_size": {"width": 512, "height": 384},
        "num_images": 2,
        "num_inference_steps": 4,
        "seed": 1234,
    }


def test_dev_sends_guidance_scale(provider, aimlapi):
    provider.generate(
        request_for(
            provider,
            "aimlapi/flux-dev",
            width=768,
            height=512,
            num_inference_steps=28,
            guidance_scale=3.5,
        )
    )
    body = aimlapi.requests[0].json()
    assert (body["model"], body["guidance_scale"], body["num_inference_steps"]) == (
        "flux/dev",
        3.5,
        28,
    )


@pytest.mark.parametrize("model_id", ["aimlapi/flux-schnell", "aimlapi/flux-dev"])
def test_documented_limits_are_accepted_at_both_ends(provider, aimlapi, model_id):
    model = {m.id: m for m in provider.models()}[model_id]
    for side in (model.width.minimum, model.width.maximum):
        guidance = model.guidance_scale[1] if model.guidance_scale else None
        provider.generate(
            request_for(
                provider,
                model_id,
                width=side,
                height=side,
                seed=model.seed.minimum,
                num_inference_steps=model.steps.maximum,
                num_images=model.num_images.maximum,
                guidance_scale=guidance,
            )
        )
    assert len(aimlapi.requests) == 2


@pytest.mark.parametrize("shape", ["fal", "fal-201", "openai-url", "openai-b64", "legacy"])
def test_every_documented_success_shape_gives_the_images(provider, aimlapi, shape):
    aimlapi.shape = shape
    result = provider.generate(request_for(provider, num_images=2))
    assert [size_of(data) for data in result.images] == [(512, 384), (512, 384)]
    assert len(aimlapi.downloads) == (2 if shape in ("fal", "fal-201", "openai-url") else 0)
    if shape.startswith("openai"):
        assert result.metadata == {"credits_used": 10500}
    if shape.startswith("fal"):
        assert result.seed == 1234
    assert result.cost_usd is None  # credits are not USD


def test_image_url_on_another_host_over_http_is_refused(provider, aimlapi):
    aimlapi.fault = "url-offsite"
    with pytest.raises(InvalidResponseError, match="not https"):
        provider.generate(request_for(provider))
    assert aimlapi.downloads == []


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("401", AuthenticationError, "the provider rejected the API key"),
        ("403-credits", OutOfCreditsError, "AIML API says the account is out of credits"),
        ("429", RetryableProviderError, "AIML API is rate limiting requests: Too Many Requests"),
        ("500", RetryableProviderError, "AIML API had a server error (HTTP 500)"),
        ("504", RetryableProviderError, "(HTTP 504): Generation timeout"),
        (
            "malformed",
            ProviderError,
            "AIML API refused the request (HTTP 400): Body validation error",
        ),
        ("broken-json", InvalidResponseError, "malformed answer (not JSON)"),
        ("html", InvalidResponseError, "malformed answer (not JSON)"),
        ("no-image", InvalidResponseError, "returned no image"),
    ],
)
def test_errors_become_typed_provider_errors(provider, aimlapi, fault, error, reason):
    aimlapi.fault = fault
    with pytest.raises(error) as caught:
        provider.generate(request_for(provider))
    assert type(caught.value) is error
    assert reason in caught.value.reason
    assert API_KEY not in caught.value.reason


def test_wrong_key_is_rejected(aimlapi):
    provider = AIMLAPIProvider("not-the-key", aimlapi.base_url)
    with pytest.raises(AuthenticationError, match="rejected the API key"):
        provider.generate(request_for(provider))


def test_a_request_outside_the_schema_is_refused_with_its_message(provider, aimlapi):
    with pytest.raises(ProviderError, match=r"HTTP 400\): Body validation error: image_size.width"):
        provider.generate(request_for(provider, width=100))
