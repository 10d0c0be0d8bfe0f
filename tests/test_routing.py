"""Best-price models: the cheapest host that takes the request serves it, and a host that
is out of credits (or failing) hands over to the next, charged once."""

from decimal import Decimal

import pytest

from fluxweb.budgets.models import Hold, LedgerEntry
from fluxweb.generations.models import Generation
from fluxweb.generations.routing import run_generation
from fluxweb.providers.registry import get_registry
from fluxweb.providerstatus.calls import BREAKER_FAILURES, call_stats, open_circuits
from fluxweb.providerstatus.models import ProviderCall

pytestmark = pytest.mark.django_db

MODEL = "best-price/flux-1-schnell"
# 12 steps at 1024×1024: AIML API $0.004 per image, DeepInfra 0.0005 × 12 = $0.006.
FORM = {
    "prompt": "A lighthouse on a cliff at dusk",
    "model": MODEL,
    "width": 1024,
    "height": 1024,
    "num_inference_steps": 12,
    "num_images": 1,
}


@pytest.fixture
def hosts(settings, aimlapi, deepinfra):
    settings.FLUXWEB_BEST_PRICE = True
    settings.FLUXWEB_DEMO_PROVIDER = False
    settings.DEEPINFRA_OPENAI = False
    return aimlapi, deepinfra


def submit(client) -> Generation:
    response = client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    generation = Generation.objects.latest("id")
    run_generation(generation.pk)  # a no-op if the task already ran it
    generation.refresh_from_db()
    return generation


def test_best_price_models_are_offered_and_reserve_the_dearest_host(hosts, member_client):
    models = get_registry().models
    assert list(models)[:1] == [MODEL]
    assert "best-price/flux-1-dev" in models
    response = member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    generation = Generation.objects.latest("id")
    assert Hold.objects.get(pk=generation.hold_id).reserved_usd == Decimal("0.006")


def test_the_cheapest_host_serves(hosts, member_client):
    generation = submit(member_client)
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.provider == "aimlapi"
    assert generation.route_summary == "AIML API"
    # Charged the host that served (its report, else its estimate), not the dearest held.
    hold = Hold.objects.get(pk=generation.hold_id)
    assert hold.reserved_usd == Decimal("0.006")
    charge = hold.entries.get(kind=LedgerEntry.Kind.CHARGE)
    assert charge.charged_usd == Decimal("0.004")


def test_out_of_credits_fails_over_to_the_next_host_charged_once(hosts, member_client):
    aimlapi, deepinfra = hosts
    aimlapi.fault, aimlapi.fault_times = "403-credits", 1
    generation = submit(member_client)
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.provider == "deepinfra"
    assert generation.route_summary == "AIML API out of credits → DeepInfra"
    hold = Hold.objects.get(pk=generation.hold_id)
    assert hold.state == Hold.State.SETTLED
    charges = hold.entries.filter(kind=LedgerEntry.Kind.CHARGE)
    assert list(charges.values_list("charged_usd", flat=True)) == [Decimal("0.006")]
    assert generation.actual_cost_usd == Decimal("0.006")  # what DeepInfra reported
    assert list(ProviderCall.objects.order_by("id").values_list("slug", "ok")) == [
        ("aimlapi", False),
        ("deepinfra", True),
    ]
    page = member_client.get("/").content.decode()
    assert "AIML API out of credits → DeepInfra" in page


def test_every_host_failing_fails_once_with_every_reason(hosts, member_client):
    aimlapi, deepinfra = hosts
    aimlapi.fault, aimlapi.fault_times = "403-credits", 1
    deepinfra.fault, deepinfra.fault_times = "401", 1
    generation = submit(member_client)
    assert generation.status == Generation.Status.FAILED
    assert generation.error.startswith("every host failed: AIML API: ")
    assert "DeepInfra: the provider rejected the API key" in generation.error
    assert Hold.objects.get(pk=generation.hold_id).state == Hold.State.RELEASED
    assert generation.route_summary == "AIML API out of credits → DeepInfra rejected the key"


def test_an_invalid_request_does_not_fail_over(hosts, member_client):
    aimlapi, deepinfra = hosts
    aimlapi.fault, aimlapi.fault_times = "malformed", 1
    generation = submit(member_client)
    assert generation.status == Generation.Status.FAILED
    assert generation.route_summary == "AIML API failed"
    assert not ProviderCall.objects.filter(slug="deepinfra").exists()


def test_a_failing_host_is_skipped_by_the_circuit_breaker(hosts, member_client):
    for _ in range(BREAKER_FAILURES):
        ProviderCall.objects.create(slug="aimlapi", ok=False, reason="HTTP 500")
    assert open_circuits(["aimlapi", "deepinfra"]) == {"aimlapi"}
    generation = submit(member_client)
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    assert generation.route_summary == "AIML API skipped (recent calls failed) → DeepInfra"


def test_a_size_no_host_takes_is_refused_by_the_form(hosts, member_client):
    # 1600 px fits the envelope of DeepInfra's limits but not AIML's 1536.
    data = {**FORM, "width": 1600, "num_inference_steps": 40}
    before = Generation.objects.count()
    member_client.post("/generations/new/", data, HTTP_HX_REQUEST="true")
    assert Generation.objects.count() == before


def test_call_stats_give_drift(db):
    ProviderCall.objects.create(
        slug="deepinfra", ok=True, latency_s=2, estimated_usd=Decimal("0.002"), actual_usd=None
    )
    ProviderCall.objects.create(
        slug="deepinfra",
        ok=True,
        latency_s=4,
        estimated_usd=Decimal("0.002"),
        actual_usd=Decimal("0.003"),
    )
    ProviderCall.objects.create(slug="deepinfra", ok=False, latency_s=9, reason="HTTP 500")
    from datetime import timedelta

    stats = call_stats("deepinfra", timedelta(days=1))
    assert (stats.calls, stats.failures, stats.p50_latency_s) == (3, 1, 4)
    assert stats.drift == Decimal("1.500")
