"""Every seed provider, through run_generation with the real database and real HTTP:
success, and each fault ending ``failed`` with a readable reason after the right number
of attempts (retries for 429/5xx/timeouts, none for the rest)."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from fluxweb.providerstatus.models import ProviderStatus
from tests.emulators.server import serve
from tests.factories import make_generation
from tests.processes import wait_for
from tests.provider_cases import PROVIDERS, generation_fields

pytestmark = pytest.mark.django_db

REJECTED = "^the provider rejected the API key"
ATTEMPTS = 3  # FLUXWEB_PROVIDER_ATTEMPTS's default

FAULTS = [
    # (provider fixture, emulator fault, reason pattern, attempts the emulator sees)
    ("aimlapi", "401", REJECTED, 1),
    ("aimlapi", "403-credits", "^AIML API says the account is out of credits$", 1),
    ("aimlapi", "429", "^AIML API is rate limiting requests", ATTEMPTS),
    ("aimlapi", "500", r"^AIML API had a server error \(HTTP 500\)", ATTEMPTS),
    ("aimlapi", "broken-json", r"malformed answer \(not JSON\)$", 1),
    ("aimlapi", "html", r"malformed answer \(not JSON\)$", 1),
    ("aimlapi", "no-image", "returned no image$", 1),
    ("aimlapi", "truncated", "truncated or undecodable image$", 1),
    ("aimlapi", "not-image", "not a PNG, JPEG or WebP image$", 1),
    ("aimlapi", "bomb", "5000×5000 pixels, over the pixel limit$", 1),
    ("aimlapi", "url-offsite", "image URL that is not https$", 1),
    ("segmind", "401", REJECTED, 1),
    ("segmind", "403", REJECTED, 1),
    ("segmind", "406", "^Segmind says the account does not have enough credits$", 1),
    ("segmind", "429", "^Segmind is rate limiting requests", ATTEMPTS),
    ("segmind", "500", r"^Segmind had a server error \(HTTP 500\)", ATTEMPTS),
    ("segmind", "wrong-type", "^Segmind answered with text/html, not an image$", 1),
    ("segmind", "truncated", "truncated or undecodable image$", 1),
    ("segmind", "not-image", "not a PNG, JPEG or WebP image$", 1),
    ("segmind", "bomb", "over the pixel limit$", 1),
    ("imagepipeline", "401", REJECTED, 1),
    ("imagepipeline", "403", REJECTED, 1),
    ("imagepipeline", "402", "^ImagePipeline says the account is out of credits", 1),
    ("imagepipeline", "429", "^ImagePipeline is rate limiting requests", ATTEMPTS),
    ("imagepipeline", "500", r"^ImagePipeline had a server error \(HTTP 500\)", ATTEMPTS),
    (
        "imagepipeline",
        "failure",
        "^ImagePipeline could not generate the image: CUDA out of memory$",
        1,
    ),
    ("imagepipeline", "malformed", r"malformed answer \(not JSON\)$", 1),
    ("imagepipeline", "no-image", "returned no image$", 1),
    ("imagepipeline", "truncated", "truncated or undecodable image$", 1),
    ("imagepipeline", "bomb", "over the pixel limit$", 1),
    ("imagepipeline", "url-offsite", "image URL that is not https$", 1),
    ("deepinfra_openai", "401", REJECTED, 1),
    ("deepinfra_openai", "403", REJECTED, 1),
    ("deepinfra_openai", "insufficient-quota", "says the account is out of credits$", 1),
    ("deepinfra_openai", "429", "is rate limiting requests", ATTEMPTS),
    ("deepinfra_openai", "500", r"had a server error \(HTTP 500\)$", ATTEMPTS),
    ("deepinfra_openai", "malformed", r"malformed answer \(not JSON\)$", 1),
    ("deepinfra_openai", "no-image", "returned no image$", 1),
    ("deepinfra_openai", "truncated", "truncated or undecodable image$", 1),
    ("deepinfra_openai", "bomb", "over the pixel limit$", 1),
    ("openai_images", "401", REJECTED, 1),
    ("openai_images", "500", r"had a server error \(HTTP 500\)$", ATTEMPTS),
    ("openai_images", "html", r"malformed answer \(not JSON\)$", 1),
    ("openai_images", "url-offsite", "image URL that is not https$", 1),
]


def run(request, name, member, **emulator_settings):
    emulator = request.getfixturevalue(name)
    for attribute, value in emulator_settings.items():
        setattr(emulator, attribute, value)
    generation = make_generation(member, **generation_fields(name))
    run_generation(generation.pk)
    generation.refresh_from_db()
    return emulator, generation


@pytest.mark.parametrize("name", PROVIDERS)
def test_each_provider_succeeds_with_images_of_the_requested_size(request, member, name):
    emulator, generation = run(request, name, member)
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    (image,) = generation.images.all()
    with default_storage.open(image.file.name) as stored, Image.open(stored) as picture:
        assert picture.size == (generation.width, generation.height)
    assert len(emulator.requests) == 1
    status = ProviderStatus.objects.get(slug=generation.provider)
    assert status.last_success_at is not None and status.success_count == 1


@pytest.mark.parametrize(("name", "fault", "reason", "attempts"), FAULTS)
def test_faults_end_failed_with_a_readable_reason(request, member, name, fault, reason, attempts):
    emulator, generation = run(request, name, member, fault=fault)
    assert generation.status == Generation.Status.FAILED
    assert generation.finished_at is not None
    assert re.search(reason, generation.error), generation.error
    assert len(emulator.requests) == attempts
    assert "test-" not in generation.error  # no API key (all test keys start so)
    assert not generation.images.exists()
    status = ProviderStatus.objects.get(slug=generation.provider)
    assert status.last_error == generation.error and status.last_outcome_failed


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_transient_error_is_retried_then_succeeds(request, member, name):
    emulator, generation = run(request, name, member, fault="500", fault_times=1)
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("name", PROVIDERS)
def test_timeouts_are_retried_then_fail(request, member, settings, name):
    settings.FLUXWEB_PROVIDER_TIMEOUT = 0.2
    emulator, generation = run(request, name, member, latency=1.0)
    assert generation.status == Generation.Status.FAILED
    assert generation.error.endswith("did not answer in time")
    # The emulator notes a request once its thread has read it, which on a loaded machine
    # can come after the client gave that attempt up (0.2 s): wait for the last one.
    wait_for(lambda: len(emulator.requests) == ATTEMPTS, timeout=5)
    assert len(emulator.requests) == ATTEMPTS


@pytest.mark.parametrize("name", PROVIDERS)
def test_connection_errors_are_retried_then_fail(request, member, settings, name):
    emulator = request.getfixturevalue(name)
    with serve(emulator) as closed_url:
        pass  # a port nobody listens on any more
    for setting, value in emulator.env.items():
        if setting.endswith("_BASE_URL"):
            setattr(settings, setting, closed_url + value[len(emulator.base_url) :])
    generation = make_generation(member, **generation_fields(name))
    run_generation(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.FAILED
    assert generation.error.startswith("could not connect to ")
    assert emulator.requests == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_images_over_the_byte_cap_fail(request, member, settings, name):
    settings.FLUXWEB_MAX_IMAGE_BYTES = 200
    emulator, generation = run(request, name, member)
    assert generation.status == Generation.Status.FAILED
    assert re_any(generation.error, "larger than 200 bytes", "over the size limit"), (
        generation.error
    )


def re_any(text, *needles):
    return any(needle in text for needle in needles)
