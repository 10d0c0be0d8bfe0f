"""ImagePipeline generate/v3 (seed 001) over HTTP against its contract emulator."""

import io

import pytest
from PIL import Image

from fluxweb.providers.base import (
    AuthenticationError,
    GenerationRequest,
    GenerationResult,
    InvalidResponseError,
    OutOfCreditsError,
    PendingJob,
    ProviderError,
    RetryableProviderError,
)
from fluxweb.providers.imagepipeline import ImagePipelineProvider
from tests.emulators.imagepipeline import API_KEY, SERVER_ID


@pytest.fixture
def provider(imagepipeline):
    return ImagePipelineProvider(API_KEY, imagepipeline.base_url, SERVER_ID)


def request_for(provider, **overrides):
    (model,) = provider.models()
    fields = {
        "model": model,
        "prompt": "a toucan on a branch",
        "negative_prompt": "blurry",
        "width": 512,
        "height": 384,
        "num_images": 2,
        "num_inference_steps": 4,
        "seed": 99,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def test_sends_the_documented_request(provider, imagepipeline):
    provider.generate(request_for(provider))
    (sent,) = imagepipeline.requests
    assert (sent.method, sent.path) == ("POST", "/generate/v3")
    assert sent.headers["api-key"] == API_KEY
    assert sent.json() == {
        "prompt": "a toucan on a branch",
        "negative_prompt": "blurry",
        "samples": 2,
        "width": 512,
        "height": 384,
        "num_inference_steps": 4,
        "seed": 99,
        "server_id": SERVER_ID,
    }


def test_success_downloads_every_sample_from_the_download_urls(provider, imagepipeline):
    result = provider.generate(request_for(provider))
    assert isinstance(result, GenerationResult)
    for data in result.images:
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (512, 384)
    assert len(imagepipeline.downloads) == 2
    assert result.seed == 99 and result.metadata["job_id"]


def test_pending_gives_a_job_then_status_polls_until_success(provider, imagepipeline, settings):
    settings.FLUXWEB_PENDING_POLL_INTERVAL = 3.5
    imagepipeline.pending_polls = 1
    job = provider.generate(request_for(provider))
    assert isinstance(job, PendingJob)
    assert (job.poll_after, job.metadata) == (3.5, {"samples": 2, "seed": 99})
    again = provider.poll(job)
    assert isinstance(again, PendingJob) and again.job_id == job.job_id
    done = provider.poll(again)
    assert isinstance(done, GenerationResult) and len(done.images) == 2 and done.seed == 99
    polls = imagepipeline.requests[1:]
    assert [(r.method, r.path) for r in polls] == [("GET", f"/generate/v3/status/{job.job_id}")] * 2
    assert all(r.headers["api-key"] == API_KEY for r in polls)


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("401", AuthenticationError, "the provider rejected the API key"),
        ("403", AuthenticationError, "the provider rejected the API key"),
        (
            "402",
            OutOfCreditsError,
            "ImagePipeline says the account is out of credits: Insufficient credits",
        ),
        ("429", RetryableProviderError, "ImagePipeline is rate limiting requests"),
        ("500", RetryableProviderError, "ImagePipeline had a server error (HTTP 500)"),
        (
            "failure",
            ProviderError,
            "ImagePipeline could not generate the image: CUDA out of memory",
        ),
        ("malformed", InvalidResponseError, "malformed answer (not JSON)"),
        ("unknown-status", InvalidResponseError, "malformed answer (unknown status)"),
        ("no-image", InvalidResponseError, "returned no image"),
        ("url-offsite", InvalidResponseError, "image URL that is not https"),
    ],
)
def test_errors_become_typed_provider_errors(provider, imagepipeline, fault, error, reason):
    imagepipeline.fault = fault
    with pytest.raises(error) as caught:
        provider.generate(request_for(provider))
    assert type(caught.value) is error
    assert reason in caught.value.reason
    assert API_KEY not in caught.value.reason


def test_status_poll_failure_is_reported(provider, imagepipeline):
    imagepipeline.pending_polls = 3
    job = provider.generate(request_for(provider))
    imagepipeline.poll_fault = "failure"
    with pytest.raises(ProviderError, match="could not generate the image: CUDA out of memory"):
        provider.poll(job)


def test_wrong_key_is_rejected(imagepipeline):
    provider = ImagePipelineProvider("not-the-key", imagepipeline.base_url, SERVER_ID)
    with pytest.raises(AuthenticationError, match="rejected the API key"):
        provider.generate(request_for(provider))


def test_limits_are_accepted_at_both_ends(provider, imagepipeline):
    (model,) = provider.models()
    for side in (model.width.minimum, model.width.maximum):
        provider.generate(
            request_for(provider, width=side, height=side, num_images=model.num_images.maximum)
        )
    assert len(imagepipeline.requests) == 2
