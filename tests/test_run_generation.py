"""The worker side of a generation: provider call, retries, stored images, failure reasons."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def deepinfra_generation(user, **overrides):
    fields = {
        "provider": "deepinfra",
        "model": "deepinfra/flux-1-schnell",
        "width": 512,
        "height": 256,
        "seed": 99,
        "estimated_cost_usd": Decimal("0.000250"),
    }
    fields.update(overrides)
    return make_generation(user, "a red kite over hills", **fields)


def test_success_stores_every_image_and_the_reported_cost(member, deepinfra):
    generation = run_generation(deepinfra_generation(member, num_images=2).pk)
    assert generation.status == "succeeded" and generation.error == ""
    assert generation.started_at and generation.finished_at
    assert generation.actual_cost_usd == Decimal("0.000500")  # 0.0005 × 0.5 × 0.25 × 4 × 2
    images = list(generation.images.all())
    assert [(i.index, i.width, i.height, i.content_type) for i in images] == [
        (0, 512, 256, "image/png"),
        (1, 512, 256, "image/png"),
    ]
    assert all(default_storage.exists(i.file.name) for i in images)


def test_demo_generation_runs_offline(member):
    generation = run_generation(make_generation(member).pk)
    assert generation.status == "succeeded"
    assert generation.images.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("401", "the provider rejected the API key"),
        ("422", "DeepInfra refused the request (HTTP 422): unsafe prompt"),
        ("malformed", "DeepInfra returned a malformed answer (not JSON)"),
        ("no-images", "DeepInfra returned no image"),
        ("not-image", "DeepInfra returned something that is not a PNG, JPEG or WebP image"),
        ("truncated", "DeepInfra returned a truncated or undecodable image"),
    ],
)
def test_permanent_faults_fail_at_once_with_a_readable_reason(member, deepinfra, fault, reason):
    deepinfra.fault = fault
    generation = run_generation(deepinfra_generation(member).pk)
    assert (generation.status, generation.error) == ("failed", reason)
    assert generation.images.count() == 0
    assert len(deepinfra.requests) == 1


@pytest.mark.parametrize("source", ["web", "api"])
def test_a_truncated_image_fails_the_generation_whether_its_thumbnail_is_made_now_or_later(
    member, deepinfra, source
):
    """API images are not decoded in the worker (their PNG checksums prove them); a cut
    answer fails either way, with nothing stored."""
    deepinfra.fault = "truncated"
    generation = run_generation(deepinfra_generation(member, source=source).pk)
    assert (generation.status, generation.error) == (
        "failed",
        "DeepInfra returned a truncated or undecodable image",
    )
    assert generation.images.count() == 0


@pytest.mark.parametrize("fault", ["429", "500"])
def test_retryable_faults_are_retried_then_succeed(member, deepinfra, fault):
    deepinfra.fault, deepinfra.fault_times = fault, 2
    generation = run_generation(deepinfra_generation(member).pk)
    assert generation.status == "succeeded"
    assert len(deepinfra.requests) == 3


def test_retryable_faults_give_up_after_the_configured_attempts(member, deepinfra, settings):
    settings.FLUXWEB_PROVIDER_ATTEMPTS = 2
    deepinfra.fault = "429"
    generation = run_generation(deepinfra_generation(member).pk)
    assert (generation.status, generation.error) == (
        "failed",
        "DeepInfra is rate limiting requests: Rate limited",
    )
    assert len(deepinfra.requests) == 2


def test_a_disabled_model_fails_instead_of_hanging(member, settings):
    settings.FLUXWEB_DEMO_PROVIDER = False
    generation = run_generation(make_generation(member).pk)
    assert (generation.status, generation.error) == (
        "failed",
        "the model demo/placeholder is not enabled on this server",
    )
    assert generation.started_at and generation.provider_called_at is None  # claimed, never sent


def test_the_claim_records_the_provider_call_it_is_about_to_make(member, deepinfra):
    generation = run_generation(deepinfra_generation(member).pk)
    assert generation.status == "succeeded"
    assert (
        generation.provider_called_at == generation.started_at
    )  # one write: claimed and about to call


def test_a_generation_is_claimed_only_once(member):
    generation = make_generation(member)
    assert run_generation(generation.pk).status == "succeeded"
    assert run_generation(generation.pk) is None
    assert Generation.objects.get(pk=generation.pk).images.count() == 1


def test_images_of_a_generation_that_is_no_longer_running_are_not_kept(member, settings):
    """The sweep failed it (and refunded it) while the provider answered: the late answer's
    images get no rows, their files are removed, and nothing is charged."""
    from fluxweb.budgets.models import LedgerEntry
    from fluxweb.generations.running import finish_generation
    from fluxweb.providers.base import GenerationResult
    from fluxweb.providers.registry import get_registry
    from tests.emulators.server import png_bytes

    generation = make_generation(member, width=64, height=64)
    assert generation.mark_running()
    assert generation.mark_failed("the worker running it stopped")
    provider = get_registry().providers["demo"]
    finish_generation(
        generation, GenerationResult(images=[png_bytes(64, 64), png_bytes(64, 64)]), provider
    )
    generation.refresh_from_db()
    assert generation.status == "failed"
    assert generation.images.count() == 0
    media = settings.MEDIA_ROOT
    assert ([p for p in media.rglob("*") if p.is_file()] if media.exists() else []) == []
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE).exists()


def test_success_with_several_images_commits_their_rows_with_it(member, deepinfra):
    generation = run_generation(deepinfra_generation(member, num_images=3).pk)
    rows = list(generation.images.order_by("index"))
    assert [r.index for r in rows] == [0, 1, 2]
    assert all(r.thumbnail and default_storage.exists(r.thumbnail.name) for r in rows)


def test_a_process_decodes_no_more_images_at_once_than_its_decoding_slots(member, monkeypatch):
    """Answers that arrive together wait for a slot (one per core) before their pixels are
    decoded, so a worker's memory does not grow with its threads."""
    import threading
    import time

    from fluxweb.generations import storing
    from fluxweb.providers.base import GenerationResult
    from tests.emulators.server import png_bytes

    monkeypatch.setattr(storing, "DECODING", threading.BoundedSemaphore(2))
    lock, inside, most = threading.Lock(), [0], [0]
    real_check = storing.check_image

    def slow_check(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)  # long enough for the other threads to arrive
        try:
            return real_check(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(storing, "check_image", slow_check)
    generation = make_generation(member, width=64, height=64)
    stored: list[list] = []

    def store() -> None:
        result = GenerationResult(images=[png_bytes(64, 64)])
        stored.append(storing.store_images(generation, result, "Test"))

    threads = [threading.Thread(target=store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(stored) == 6 and all(len(images) == 1 for images in stored)
    assert most[0] == 2
