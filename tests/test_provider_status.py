"""The provider status page (staff only) and the worker's hooks that feed it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from fluxweb.generations.running import run_generation
from fluxweb.providerstatus.models import ProviderStatus
from fluxweb.providerstatus.recording import record_failure, record_success
from tests.factories import make_generation
from tests.provider_cases import generation_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(django_user_model) -> Client:
    admin = django_user_model.objects.create_user(
        "ada", "ada@example.com", "ada-password-123", is_staff=True
    )
    client = Client()
    client.force_login(admin)
    return client


def row(html: str, slug: str) -> str:
    return html.split(f'id="provider-{slug}"')[1].split("</tr>")[0]


def test_members_cannot_see_it_nor_its_link(member_client):
    assert member_client.get("/providers/status/").status_code == 403
    assert "/providers/status/" not in member_client.get("/").content.decode()


def test_staff_get_a_header_link(staff_client):
    assert 'href="/providers/status/"' in staff_client.get("/").content.decode()


def test_every_known_provider_is_listed_configured_or_not(staff_client, settings):
    settings.SEGMIND_API_KEY = "sg-secret-value"
    html = staff_client.get("/providers/status/").content.decode()
    for slug in (
        "deepinfra",
        "deepinfra-openai",
        "aimlapi",
        "segmind",
        "imagepipeline",
        "openai-images",
        "demo",
    ):
        assert f'id="provider-{slug}"' in html
    assert "Yes" in row(html, "segmind") and "FLUX.1 [schnell] · Segmind" in row(html, "segmind")
    assert "No" in row(html, "aimlapi") and "AIMLAPI_API_KEY" in row(html, "aimlapi")
    assert "sg-secret-value" not in html


def test_outcomes_and_credits_recorded_by_the_worker_are_shown(staff_client, member, segmind):
    run_generation(make_generation(member, **generation_fields("segmind")).pk)
    segmind.fault = "406"
    run_generation(make_generation(member, **generation_fields("segmind")).pk)
    status = ProviderStatus.objects.get(slug="segmind")
    assert (status.success_count, status.failure_count) == (1, 1)
    assert status.credits_remaining == segmind.credits
    assert status.last_outcome_failed
    html = row(staff_client.get("/providers/status/").content.decode(), "segmind")
    assert "Segmind says the account does not have enough credits" in html
    assert str(segmind.credits.normalize()) in html
    assert "status-row--failing" in html.split(">")[0]  # the row's class


def test_record_success_keeps_credits_only_when_reported():
    record_success("aimlapi", {"credits_used": 5250})
    record_success("segmind", {"credits_remaining": "12.75"})
    record_success("segmind", {})
    assert ProviderStatus.objects.get(slug="aimlapi").credits_remaining is None
    segmind = ProviderStatus.objects.get(slug="segmind")
    assert (segmind.credits_remaining, segmind.success_count) == (Decimal("12.75"), 2)


def test_a_success_after_an_error_clears_the_failing_mark():
    record_failure("aimlapi", "AIML API had a server error (HTTP 500)")
    assert ProviderStatus.objects.get(slug="aimlapi").last_outcome_failed
    record_success("aimlapi", {})
    status = ProviderStatus.objects.get(slug="aimlapi")
    assert not status.last_outcome_failed
    assert (
        status.last_error == "AIML API had a server error (HTTP 500)"
    )  # still shown, with its time
