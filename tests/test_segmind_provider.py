"""Segmind flux-schnell (seed 002) over HTTP against its contract emulator."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from fluxweb.providers.base import (
    AuthenticationError,
    GenerationRequest,
    InvalidResponseError,
    OutOfCreditsError,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.http import error_detail, error_for_status
from fluxweb.providers.segmind import SegmindProvider
from tests.emulators.segmind import API_KEY, COST


@pytest.fixture
def provider(segmind):
    return SegmindProvider(API_KEY, segmind.base_url)


def request_for(provider, **overrides):
    (model,) = provider.models()
    fields = {
        "model": model,
        "prompt": "a bengal tiger in an astronaut suit",
        "width": 512,
        "height": 576,
        "num_images": 1,
        "num_inference_steps": 4,
        "seed": 123456789,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def test_sends_the_documented_request(provider, segmind):
    provider.generate(request_for(provider))
    (sent,) = segmind.requests
    assert (sent.method, sent.path) == ("POST", "/v1/flux-schnell")
    assert sent.headers["x-api-key"] == API_KEY
    assert "authorization" not in sent.headers
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "prompt": "a bengal tiger in an astronaut suit",
        "steps": 4,
        "seed": 123456789,
        "sampler_name": "euler",
        "scheduler": "normal",
        "samples": 1,
        "width": 512,
        "height": 576,
        "denoise": 1,
    }


def test_the_body_is_the_jpeg_and_headers_give_cost_and_credits(provider, segmind):
    result = provider.generate(request_for(provider))
    (data,) = result.images
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (512, 576))
    assert result.cost_usd == COST
    assert result.metadata == {
        "credits_remaining": str(Decimal("10.5") - COST),
        "request_id": "seg-req-1",
    }
    assert result.seed == 123456789


def test_no_cost_header_means_no_reported_cost(provider, segmind):
    segmind.report_cost = False
    assert provider.generate(request_for(provider)).cost_usd is None


def test_documented_limits_are_accepted_at_both_ends(provider, segmind):
    (model,) = provider.models()
    for side, steps in (
        (model.width.minimum, model.steps.minimum),
        (model.width.maximum, model.steps.maximum),
    ):
        provider.generate(request_for(provider, width=side, height=side, num_inference_steps=steps))
    assert len(segmind.requests) == 2


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("401", AuthenticationError, "the provider rejected the API key"),
        ("403", AuthenticationError, "the provider rejected the API key"),
        ("406", OutOfCreditsError, "Segmind says the account does not have enough credits"),
        ("429", RetryableProviderError, "Segmind is rate limiting requests: rate_limit_exceeded"),
        ("500", RetryableProviderError, "Segmind had a server error (HTTP 500)"),
        ("wrong-type", InvalidResponseError, "Segmind answered with text/html, not an image"),
    ],
)
def test_errors_become_typed_provider_errors(provider, segmind, fault, error, reason):
    segmind.fault = fault
    with pytest.raises(error) as caught:
        provider.generate(request_for(provider))
    assert type(caught.value) is error
    assert reason in caught.value.reason
    assert API_KEY not in caught.value.reason


def test_wrong_key_is_rejected(segmind):
    provider = SegmindProvider("not-the-key", segmind.base_url)
    with pytest.raises(AuthenticationError, match="rejected the API key"):
        provider.generate(request_for(provider))


def test_method_not_allowed_html_page_is_not_shown(provider, segmind):
    response = provider.http.request("GET", "/v1/flux-schnell")
    assert response.status_code == 405  # the emulator's documented HTML answer
    error = error_for_status("Segmind", 405, error_detail(response))
    assert error.reason == "Segmind answered HTTP 405"


def test_body_over_the_byte_cap_is_refused_while_reading(provider, segmind, settings):
    settings.FLUXWEB_MAX_IMAGE_BYTES = 100
    with pytest.raises(InvalidResponseError, match="larger than 100 bytes"):
        provider.generate(request_for(provider))


def test_out_of_range_request_is_refused_with_the_providers_message(provider):
    with pytest.raises(ProviderError, match=r"HTTP 400\): steps must be between 1 and 8"):
        provider.generate(request_for(provider, num_inference_steps=9))
