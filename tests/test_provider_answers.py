"""Provider answers are input: costs, image counts, answer sizes, download retries, one
deadline per call and image URLs to internal addresses, each against a hostile server on
loopback speaking real HTTP."""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from fluxweb.budgets.pools import quota_for
from fluxweb.generations.models import Generation
from fluxweb.generations.running import fail_generation, run_generation
from fluxweb.generations.services import submit_generation
from fluxweb.providers.answers import trusted_cost
from fluxweb.providers.network import is_internal
from fluxweb.providerstatus.models import ProviderStatus
from tests.budget_factories import set_quota, submit_data
from tests.emulators.server import BaseEmulator, Request, Response, answer_image, serve
from tests.factories import make_generation
from tests.provider_cases import generation_fields

MODEL = "openai-images/flux-schnell"


class Hostile(BaseEmulator):
    """An OpenAI-style images endpoint whose answer the test writes: ``answer(self, request)``."""

    def __init__(self) -> None:
        super().__init__()
        self.answer: Callable[[Hostile, Request], Response] = lambda emulator, request: Response(
            500
        )

    def handle_api(self, request: Request) -> Response:
        return self.answer(self, request)


@pytest.fixture
def hostile(settings: Any) -> Iterator[Hostile]:
    """A :class:`Hostile` server configured as the generic OpenAI-style provider."""
    emulator = Hostile()
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        settings.OPENAI_IMAGES_BASE_URL = base_url + "/v1"
        settings.OPENAI_IMAGES_API_KEY = "test-hostile-key"
        settings.OPENAI_IMAGES_MODELS = ["flux-schnell"]
        yield emulator


def hostile_generation(user: Any, **fields: Any) -> Generation:
    return make_generation(
        user,
        provider="openai-images",
        model=MODEL,
        width=256,
        height=256,
        num_inference_steps=None,
        seed=None,
        **fields,
    )


def finished(generation: Generation) -> Generation:
    run_generation(generation.pk)
    generation.refresh_from_db()
    return generation


# --- 4. Reported costs, image counts, the answer's byte budget ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reported", "shown"),
    [("-50", "-50"), ("NaN", "NaN"), ("Infinity", "Infinity"), ("lots", "NaN"), ("50", "50")],
)
def test_an_unbelievable_reported_cost_charges_the_estimate_and_is_flagged(
    segmind: Any, member: Any, django_user_model: Any, client: Any, reported: str, shown: str
) -> None:
    set_quota(member, "1.00")
    segmind.cost_header = reported
    data = submit_data("segmind/flux-schnell", width=512, height=576)
    generation = finished(submit_generation(member, data))
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.actual_cost_usd is None
    assert generation.provider_metadata["ignored_cost_usd"] == shown
    quota = quota_for(member)
    assert quota.spent_usd == generation.estimated_cost_usd > 0
    assert quota.reserved_usd == 0
    status = ProviderStatus.objects.get(slug="segmind")
    assert status.last_ignored_cost.startswith(shown) and status.last_ignored_cost_at is not None
    client.force_login(django_user_model.objects.create_user("root", is_staff=True))
    page = client.get("/providers/status/").content.decode()
    assert f"Last ignored cost report: {shown}" in page


@pytest.mark.django_db
def test_a_believable_reported_cost_is_charged(segmind: Any, member: Any) -> None:
    set_quota(member, "1.00")
    segmind.cost_header = "0.011"
    generation = finished(
        submit_generation(member, submit_data("segmind/flux-schnell", width=512, height=576))
    )
    assert generation.actual_cost_usd == Decimal("0.011")
    assert quota_for(member).spent_usd == Decimal("0.011")
    assert not ProviderStatus.objects.get(slug="segmind").last_ignored_cost


@pytest.mark.parametrize(
    ("estimate", "shown"), [("0.003", "$0.003"), ("0.0385", "$0.039"), ("0.25", "$0.25")]
)
def test_why_a_cost_is_ignored_names_the_estimate_in_the_one_money_format(
    estimate: str, shown: str
) -> None:
    # The reason is shown on the provider status page: fluxweb/core/money.py's format.
    assert trusted_cost(Decimal("1000"), Decimal(estimate)) == (
        None,
        f"more than 10× the estimate of {shown}",
    )


@pytest.mark.django_db
def test_images_beyond_the_requested_count_are_dropped_before_download(
    hostile: Hostile, member: Any, caplog: Any
) -> None:
    def forty_urls(emulator: Hostile, request: Request) -> Response:
        image = answer_image(256, 256)
        return Response.json(
            {"created": 0, "data": [{"url": emulator.file_url(image)} for _ in range(40)]}
        )

    hostile.answer = forty_urls
    with caplog.at_level(logging.WARNING, logger="fluxweb"):
        generation = finished(hostile_generation(member, num_images=1))
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.images.count() == 1
    assert len(hostile.downloads) == 1
    assert "returned 40 images for 1 requested" in caplog.text


@pytest.mark.django_db
def test_an_answer_over_the_byte_budget_of_its_image_count_fails(
    hostile: Hostile, member: Any, settings: Any
) -> None:
    settings.FLUXWEB_MAX_IMAGE_BYTES = 100_000
    inline = base64.b64encode(
        os.urandom(60_000)
    ).decode()  # three of these: over one image's budget

    hostile.answer = lambda emulator, request: Response.json({"data": [{"b64_json": inline}] * 3})
    generation = finished(hostile_generation(member, num_images=1))
    assert generation.status == Generation.Status.FAILED
    assert "sent an answer larger than" in generation.error


# --- 5. A failed download is retried alone ------------------------------------------------

URL_PROVIDERS = [("aimlapi", {}), ("openai_images", {"url_images": True})]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "shape"), URL_PROVIDERS)
def test_a_failed_download_is_retried_without_calling_the_api_again(
    request: Any, member: Any, name: str, shape: dict
) -> None:
    emulator = request.getfixturevalue(name)
    for attribute, value in {**shape, "download_fault": "502", "download_fault_times": 1}.items():
        setattr(emulator, attribute, value)
    generation = finished(make_generation(member, **generation_fields(name)))
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert len(emulator.requests) == 1
    assert len(emulator.downloads) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "shape"), URL_PROVIDERS)
def test_downloads_that_keep_failing_fail_the_generation_after_one_api_call(
    request: Any, member: Any, settings: Any, name: str, shape: dict
) -> None:
    emulator = request.getfixturevalue(name)
    for attribute, value in {**shape, "download_fault": "503"}.items():
        setattr(emulator, attribute, value)
    generation = finished(make_generation(member, **generation_fields(name)))
    assert generation.status == Generation.Status.FAILED
    assert "server error (HTTP 503)" in generation.error
    assert len(emulator.requests) == 1
    assert len(emulator.downloads) == settings.FLUXWEB_PROVIDER_ATTEMPTS


# --- 6. One deadline per call; the logged outcome is the recorded one -----------------------


@pytest.mark.django_db
def test_a_server_that_drips_its_answer_is_cut_off_at_the_call_deadline(
    segmind: Any, member: Any, settings: Any
) -> None:
    settings.FLUXWEB_PROVIDER_TIMEOUT = 1.0  # each piece comes sooner, the whole answer later
    settings.FLUXWEB_PROVIDER_ATTEMPTS = 1
    answer = segmind.handle_api
    segmind.handle_api = lambda request: dataclasses.replace(
        answer(request), drip=0.3, drip_parts=8
    )
    generation = finished(make_generation(member, **generation_fields("segmind")))
    assert generation.status == Generation.Status.FAILED
    assert generation.error == "Segmind did not answer in time"


@pytest.mark.django_db(transaction=True)
def test_the_logged_outcome_is_the_recorded_one(segmind: Any, member: Any, caplog: Any) -> None:
    generation = make_generation(member, **generation_fields("segmind"))
    answer = segmind.handle_api

    def swept_meanwhile(request: Request) -> Response:
        try:  # the sweep gives up on the generation while its provider is still answering
            fail_generation(
                Generation.objects.get(pk=generation.pk), "its worker seems to have died"
            )
        finally:
            connection.close()
        return answer(request)

    segmind.handle_api = swept_meanwhile
    with caplog.at_level(logging.INFO, logger="fluxweb"):
        run_generation(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.FAILED
    assert not generation.images.exists()
    (record,) = [r for r in caplog.records if getattr(r, "generation_id", None) == generation.pk]
    assert record.outcome == "failed"


@pytest.mark.django_db(transaction=True)
def test_a_generation_deleted_during_its_call_logs_as_deleted(
    segmind: Any, member: Any, caplog: Any
) -> None:
    generation = make_generation(member, **generation_fields("segmind"))
    answer = segmind.handle_api

    def deleted_meanwhile(request: Request) -> Response:
        try:
            Generation.objects.filter(pk=generation.pk).delete()
        finally:
            connection.close()
        return answer(request)

    segmind.handle_api = deleted_meanwhile
    with caplog.at_level(logging.INFO, logger="fluxweb"):
        run_generation(generation.pk)
    (record,) = [r for r in caplog.records if getattr(r, "generation_id", None) == generation.pk]
    assert record.outcome == "deleted"


# --- 7. Image URLs to internal addresses ---------------------------------------------------


class Listener:
    """A TCP port on loopback that counts connections and the bytes each one sent."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096))
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self.sock.close()


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", "0.0.0.0"])
def test_https_image_urls_to_internal_addresses_are_refused(
    hostile: Hostile, member: Any, host: str
) -> None:
    listener = Listener()
    try:
        url = f"https://{host}:{listener.port}/out.png"
        hostile.answer = lambda emulator, request: Response.json({"data": [{"url": url}]})
        generation = finished(hostile_generation(member))
    finally:
        listener.close()
    assert generation.status == Generation.Status.FAILED
    assert generation.error.endswith("returned an image URL on an internal address")
    assert listener.received == []  # not even a TLS hello
    assert len(hostile.requests) == 1


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.9", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_internal_addresses(address: str, internal: bool) -> None:
    assert is_internal(address) is internal
