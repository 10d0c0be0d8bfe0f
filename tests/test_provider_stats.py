"""The provider status page's per-host call figures and the "use the reported rate" button."""

from decimal import Decimal

import pytest

from fluxweb.budgets.models import ModelPrice
from fluxweb.budgets.prices import estimate_cost
from fluxweb.providers.registry import get_registry
from fluxweb.providerstatus.models import ProviderCall

pytestmark = pytest.mark.django_db

URL = "/providers/status/deepinfra/use-reported-rate/"


def calls(slug: str = "deepinfra") -> None:
    for latency, actual in ((1.0, Decimal("0.003")), (3.0, Decimal("0.003")), (8.0, None)):
        ProviderCall.objects.create(
            slug=slug,
            ok=actual is not None,
            latency_s=latency,
            estimated_usd=Decimal("0.002"),
            actual_usd=actual,
        )


def test_status_page_shows_calls_latency_costs_and_drift(admin_client, deepinfra):
    calls()
    page = admin_client.get("/providers/status/").content.decode()
    assert "Calls and costs" in page
    assert "3.0 s" in page  # p50 of 1, 3 and 8 s
    assert "×1.500" in page
    assert "Use the reported rate" in page


def test_use_reported_rate_scales_the_hosts_prices(admin_client, deepinfra):
    calls()
    spec = get_registry().model("deepinfra/flux-1-schnell")
    before = estimate_cost(spec, 1024, 1024, 4, 1)
    response = admin_client.post(URL)
    assert response.status_code == 302
    row = ModelPrice.objects.get(model_id="deepinfra/flux-1-schnell")
    assert row.usd_per_unit == Decimal("0.00075")
    assert estimate_cost(spec, 1024, 1024, 4, 1) == before * Decimal("1.5")


def test_use_reported_rate_is_staff_only_and_post_only(member_client, admin_client, deepinfra):
    calls()
    assert member_client.post(URL).status_code == 403
    assert admin_client.get(URL).status_code == 405
    assert not ModelPrice.objects.filter(model_id="deepinfra/flux-1-schnell").exists() or (
        ModelPrice.objects.get(model_id="deepinfra/flux-1-schnell").usd_per_unit
        == Decimal("0.0005")
    )


def test_use_reported_rate_without_reported_costs_changes_nothing(admin_client, deepinfra):
    response = admin_client.post(URL, follow=True)
    assert "No reported costs" in response.content.decode()
    assert not ModelPrice.objects.filter(
        usd_per_unit__gt=Decimal("0.0005"), model_id__startswith="deepinfra/"
    ).exists()
