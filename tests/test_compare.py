"""Compare: one prompt across models/hosts × seeds as one batch. One estimate, one
all-or-nothing reservation, a hold per cell (a failed cell is refunded alone), every cell
made by the worker through the provider emulators, one card on the wall, a grid page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fluxweb.budgets.models import Hold, LedgerEntry, Quota
from fluxweb.budgets.services import QuotaExceeded
from fluxweb.gallery.live import changes_since
from fluxweb.generations.comparing import CompareForm, submit_batch
from fluxweb.generations.models import Batch, Generation
from fluxweb.generations.running import run_generation
from fluxweb.providers.registry import get_registry
from tests.budget_factories import set_price, set_quota

pytestmark = pytest.mark.django_db

SCHNELL_DI = "deepinfra/flux-1-schnell"
SCHNELL_AIML = "aimlapi/flux-schnell"
SCHNELL_SEGMIND = "segmind/flux-schnell"
DEV_DI = "deepinfra/flux-1-dev"
PRICES = {SCHNELL_DI: "0.01", SCHNELL_AIML: "0.02", SCHNELL_SEGMIND: "0.03", DEV_DI: "0.04"}


@pytest.fixture
def hosts(deepinfra, aimlapi, segmind):
    for model_id, usd in PRICES.items():
        set_price(model_id, usd)
    return {"deepinfra": deepinfra, "aimlapi": aimlapi, "segmind": segmind}


def compare_data(models=(SCHNELL_DI, SCHNELL_AIML, SCHNELL_SEGMIND), seeds="1, 2", **extra):
    data = {
        "prompt": "a red kite over green hills",
        "models": list(models),
        "seeds": seeds,
        "width": 512,
        "height": 512,
        "num_inference_steps": 4,
    }
    data.update(extra)
    return data


def run_all(batch: Batch) -> list[Generation]:
    return [
        run_generation(pk) for pk in batch.cells.order_by("batch_cell").values_list("pk", flat=True)
    ]


def totals(user) -> tuple[Decimal, Decimal]:
    quota = Quota.objects.get(user=user)
    return quota.reserved_usd, quota.spent_usd


def test_three_by_two_batch_makes_six_calls_with_one_reservation(member, member_client, hosts):
    set_quota(member, "1.00")
    with CaptureQueriesContext(connection) as queries:
        response = member_client.post("/generations/compare/", compare_data())
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/generations/batches/{batch.pk}/"
    # The budget drops once, by the sum: one UPDATE of the quota row for all six holds.
    quota_updates = [
        q["sql"] for q in queries.captured_queries if re.match(r'UPDATE "budgets_quota"', q["sql"])
    ]
    assert len(quota_updates) == 1
    assert totals(member) == (Decimal("0.12"), Decimal(0))  # (0.01 + 0.02 + 0.03) × 2 seeds
    holds = Hold.objects.filter(user=member)
    assert holds.count() == 6 and {h.state for h in holds} == {Hold.State.HELD}
    cells = list(batch.cells.order_by("batch_cell"))
    assert [(c.model, c.seed, c.batch_cell) for c in cells] == [
        (SCHNELL_DI, 1, 0),
        (SCHNELL_DI, 2, 1),
        (SCHNELL_AIML, 1, 2),
        (SCHNELL_AIML, 2, 3),
        (SCHNELL_SEGMIND, 1, 4),
        (SCHNELL_SEGMIND, 2, 5),
    ]

    finished = run_all(batch)

    assert [g.status for g in finished] == [Generation.Status.SUCCEEDED] * 6
    assert [len(hosts[name].requests) for name in ("deepinfra", "aimlapi", "segmind")] == [2, 2, 2]
    assert {h.state for h in Hold.objects.filter(user=member)} == {Hold.State.SETTLED}
    reserved, spent = totals(member)
    assert reserved == 0
    assert spent == sum(g.actual_cost_usd or g.estimated_cost_usd for g in finished)


def test_a_batch_that_does_not_fit_is_refused_whole(member, member_client, hosts):
    set_quota(member, "0.10")  # each cell fits, the 0.12 of the batch does not
    response = member_client.post("/generations/compare/", compare_data())
    assert response.status_code == 400
    assert "0.12" in response.content.decode()
    assert not Batch.objects.exists() and not Generation.objects.exists()
    assert not Hold.objects.exists() and not LedgerEntry.objects.exists()
    assert totals(member) == (Decimal(0), Decimal(0))
    assert not any(emulator.requests for emulator in hosts.values())


def test_a_batch_over_a_daily_image_cap_is_refused_whole(member, hosts):
    quota = set_quota(member, "1.00")
    quota.model_limits.create(model_id=SCHNELL_AIML, images_per_day=1)
    form = CompareForm(compare_data())
    assert form.is_valid(), form.errors
    with pytest.raises(QuotaExceeded, match="this comparison makes 2"):
        submit_batch(member, form.cleaned_data)
    assert not Hold.objects.exists() and not Batch.objects.exists()


def test_one_failing_cell_is_refunded_alone(member, member_client, hosts):
    set_quota(member, "1.00")
    hosts["aimlapi"].fault, hosts["aimlapi"].fault_times = "401", 1  # AIML's seed-1 cell
    member_client.post("/generations/compare/", compare_data())
    batch = Batch.objects.get()

    finished = run_all(batch)

    failed = [g for g in finished if g.status == Generation.Status.FAILED]
    assert [(g.model, g.seed) for g in failed] == [(SCHNELL_AIML, 1)]
    assert failed[0].error == "the provider rejected the API key"
    states = {g.model + f"#{g.seed}": Hold.objects.get(pk=g.hold_id).state for g in finished}
    assert states.pop(f"{SCHNELL_AIML}#1") == Hold.State.RELEASED
    assert set(states.values()) == {Hold.State.SETTLED}
    reserved, spent = totals(member)
    assert reserved == 0
    succeeded = [g for g in finished if g.status == Generation.Status.SUCCEEDED]
    assert len(succeeded) == 5
    assert spent == sum(g.actual_cost_usd or g.estimated_cost_usd for g in succeeded)

    page = member_client.get(f"/generations/batches/{batch.pk}/").content.decode()
    assert "the provider rejected the API key" in page
    assert "refunded" in page and "1 failed and refunded" in page


def test_same_seed_on_the_same_model_and_host_sends_the_same_seed(member, member_client, hosts):
    member_client.post("/generations/compare/", compare_data(models=[SCHNELL_DI, DEV_DI]))
    run_all(Batch.objects.get())
    sent = [request.json().get("seed") for request in hosts["deepinfra"].requests]
    assert sorted(sent) == [1, 1, 2, 2]


def test_the_grid_shows_each_cell_with_its_costs_and_latency(member, member_client, hosts):
    set_quota(member, "1.00")
    member_client.post(
        "/generations/compare/",
        compare_data(models=[SCHNELL_DI, SCHNELL_AIML, SCHNELL_SEGMIND, DEV_DI]),
    )
    batch = Batch.objects.get()
    grid = member_client.get(f"/generations/batches/{batch.pk}/grid/").content.decode()
    assert 'hx-trigger="every 2s"' in grid  # unfinished: the grid asks for itself again
    assert "0 of 8 done" in grid

    run_all(batch)

    page = member_client.get(f"/generations/batches/{batch.pk}/").content.decode()
    assert "Compare 4×2" in page
    assert "8 of 8 done" in page
    assert 'hx-trigger="every 2s"' not in page  # finished: polling stops
    assert page.count('class="batch-cell batch-cell--succeeded"') == 8
    assert page.count("<dt>Latency</dt>") == 8
    assert "$0.04" in page and "Seed 2" in page
    for cell in batch.cells.all():
        assert f"/generations/{cell.pk}/" in page and f"?remix={cell.pk}" in page
    detail = member_client.get(f"/generations/{cell.pk}/").content.decode()
    assert f'href="/generations/batches/{batch.pk}/">Compare 4×2 grid</a>' in detail


def test_the_wall_shows_a_batch_as_one_card(member, member_client, hosts):
    member_client.post("/generations/compare/", compare_data())
    batch = Batch.objects.get()
    run_all(batch)
    home = member_client.get("/").content.decode()
    cards = re.findall(r'<article class="card[^"]*" id="generation-(\d+)"', home)
    first = batch.cells.get(batch_cell=0)
    assert cards == [str(first.pk)]
    assert "Compare 3×2" in home and f"/generations/batches/{batch.pk}/" in home
    streamed = {event.generation_id for event in changes_since(None)}
    assert streamed == {first.pk}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"seeds": "1, 2, 3, 4, 5"}, "seeds", "Give at most 4 seeds."),
        ({"seeds": "1, two"}, "seeds", "“two” is not a whole number"),
        ({"seeds": " , "}, "seeds", "Give at least one seed."),
        ({"models": []}, "models", "This field is required."),
        ({"models": ["nope/model"]}, "models", "Select a valid choice."),
        ({"width": 100000}, "width", "for FLUX.1 [schnell]"),
        ({"prompt": ""}, "prompt", "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_error_and_nothing_is_made(
    member_client, hosts, changes, field, message
):
    response = member_client.post("/generations/compare/", compare_data(**changes))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert not Generation.objects.exists() and not Hold.objects.exists()


def test_more_than_four_models_are_refused(member_client, hosts, openai_images):
    models = list(get_registry().models)[:5]
    assert len(models) == 5
    response = member_client.post("/generations/compare/", compare_data(models=models))
    assert response.status_code == 400
    assert "Choose at most 4 models." in response.content.decode()


def test_the_estimate_is_the_whole_batch(member_client, hosts):
    query = compare_data()
    response = member_client.get("/generations/compare/estimate/", query)
    assert response.status_code == 200
    assert "$0.12" in response.content.decode()
    bad = member_client.get("/generations/compare/estimate/", {**query, "seeds": "x"})
    assert "check the fields" in bad.content.decode()


def test_the_compare_form_is_reachable_from_the_prompt_bar(member_client, hosts):
    home = member_client.get("/").content.decode()
    assert 'href="/generations/compare/"' in home
    page = member_client.get("/generations/compare/", {"prompt": "a kite"})
    assert page.status_code == 200
    assert "a kite" in page.content.decode()
    assert SCHNELL_SEGMIND in page.content.decode()


def test_an_unknown_batch_is_404(member_client):
    assert member_client.get("/generations/batches/999/").status_code == 404
    assert member_client.get("/generations/batches/999/grid/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ("/generations/compare/", "/generations/compare/estimate/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post("/generations/compare/", compare_data())
    assert response.status_code == 302 and not Batch.objects.exists()


def test_the_wall_keeps_the_batch_when_its_first_cell_is_deleted(member, member_client, hosts):
    member_client.post("/generations/compare/", compare_data())
    batch = Batch.objects.get()
    run_all(batch)
    first, second = batch.cells.order_by("batch_cell")[:2]
    response = member_client.post(f"/generations/{first.pk}/delete/")
    assert response.status_code == 302
    home = member_client.get("/").content.decode()
    cards = re.findall(r'<article class="card[^"]*" id="generation-(\d+)"', home)
    assert cards == [str(second.pk)]
    page = member_client.get(f"/generations/batches/{batch.pk}/").content.decode()
    assert "Deleted" in page and "5 of 5 done" in page


def test_every_member_sees_every_batch(member_client, alice_client, hosts):
    member_client.post("/generations/compare/", compare_data())
    batch = Batch.objects.get()
    for path in (f"/generations/batches/{batch.pk}/", f"/generations/batches/{batch.pk}/grid/"):
        response = alice_client.get(path)
        assert response.status_code == 200
        assert "0 of 6 done" in response.content.decode()
