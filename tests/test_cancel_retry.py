"""Cancel a queued or running generation, retry a failed one: the budget, the provider's
requests, and who may do it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from fluxweb.budgets.models import Hold, Quota
from fluxweb.budgets.services import QuotaExceeded
from fluxweb.generations.models import Generation
from fluxweb.generations.running import (
    call_and_finish,
    discard_cancelled,
    prepare_call,
    run_generation,
)
from fluxweb.generations.services import (
    cancel_generation,
    delete_generation,
    retry_generation,
    submit_generation,
)
from fluxweb.generations.sweep import sweep_stuck_work
from fluxweb.providers.base import GenerationResult
from tests.budget_factories import set_price, set_quota, submit_data

pytestmark = pytest.mark.django_db

SCHNELL = "deepinfra/flux-1-schnell"


def submit_deepinfra(client: Client) -> Generation:
    data = {
        "prompt": "a lighthouse at dusk",
        "model": SCHNELL,
        "width": 512,
        "height": 384,
        "num_inference_steps": 4,
        "num_images": 1,
    }
    response = client.post("/generations/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    return Generation.objects.latest("id")


def money(user) -> tuple[Decimal, Decimal]:
    quota = Quota.objects.get(user=user)
    return quota.reserved_usd, quota.spent_usd


def test_a_cancelled_queued_generation_is_never_sent_and_is_refunded(
    member, member_client, deepinfra
):
    set_quota(member, "1.00")
    generation = submit_deepinfra(member_client)
    assert money(member)[0] == generation.estimated_cost_usd > 0

    response = member_client.post(f"/generations/{generation.pk}/cancel/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="generation-{generation.pk}"' in response.content.decode()
    assert response["HX-Retarget"] == f"#generation-{generation.pk}"

    assert run_generation(generation.pk) is None  # the worker does not claim it
    generation.refresh_from_db()
    assert generation.status == Generation.Status.CANCELLED
    assert generation.is_finished
    assert deepinfra.requests == []
    assert money(member) == (0, 0)
    assert generation.hold.state == Hold.State.RELEASED


def test_a_cancelled_running_generation_is_discarded_and_charged_what_the_provider_reports(
    member, deepinfra
):
    set_price(SCHNELL, usd="0.01")  # the estimate; the emulator reports DeepInfra's own formula
    set_quota(member, "1.00")
    generation = submit_deepinfra_as(member)
    call = prepare_call(generation)
    assert generation.mark_running(provider_called=True)

    assert cancel_generation(generation, member)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.RUNNING and generation.is_cancelling

    # The provider answered; what is recorded (and logged) is the cancellation.
    assert call_and_finish(generation, *call) == "cancelled"
    generation.refresh_from_db()
    assert len(deepinfra.requests) == 1
    assert generation.status == Generation.Status.CANCELLED
    assert not generation.images.exists()
    assert stored_files(generation.pk) == []  # the images were written, then deleted
    reported = generation.actual_cost_usd
    assert reported is not None and reported != generation.estimated_cost_usd
    assert money(member) == (0, reported)
    assert generation.hold.state == Hold.State.SETTLED


def stored_files(generation_id: int) -> list[str]:
    """The files left in storage under generation ``generation_id``'s folder."""
    try:
        return default_storage.listdir(f"generations/{generation_id}")[1]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("ending", ["cancelled", "deleted"])
def test_a_bad_image_for_a_generation_cancelled_or_deleted_meanwhile_is_discarded_and_charged(
    member, deepinfra, ending
):
    """The provider billed the work: a cancel (or delete) while it worked is charged what it
    reported, whatever it sent back, and the generation does not end "failed"."""
    set_quota(member, "1.00")
    generation = submit_deepinfra_as(member)
    call = prepare_call(generation)
    assert generation.mark_running(provider_called=True)
    hold, pk = generation.hold, generation.pk
    if ending == "cancelled":
        assert cancel_generation(generation, member)
    else:
        delete_generation(generation, member)
        generation.pk = pk
    deepinfra.fault = "truncated"

    assert call_and_finish(generation, *call) == ending
    hold.refresh_from_db()
    assert hold.state == Hold.State.SETTLED
    reserved, spent = money(member)
    assert reserved == 0 and spent > 0
    if ending == "cancelled":
        generation.refresh_from_db()
        assert generation.status == Generation.Status.CANCELLED and not generation.error
    assert stored_files(pk) == []


def submit_deepinfra_as(user) -> Generation:
    client = Client()
    client.force_login(user)
    return submit_deepinfra(client)


def test_cancel_of_a_finished_generation_changes_nothing(member, member_client):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generation = Generation.objects.get(pk=submit_deepinfra_demo(member_client))
    run_generation(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    assert not cancel_generation(generation, member)
    response = member_client.post(f"/generations/{generation.pk}/cancel/")
    assert response.status_code == 302
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    assert money(member) == (0, Decimal("0.01"))


def submit_deepinfra_demo(client: Client, **fields) -> int:
    data = {
        "prompt": "a lighthouse at dusk",
        "model": "demo/placeholder",
        "width": 64,
        "height": 64,
        "num_inference_steps": 4,
        "num_images": 1,
        **fields,
    }
    response = client.post("/generations/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    return Generation.objects.latest("id").pk


def test_only_the_author_and_admins_may_cancel_or_retry(
    member, alice, alice_client, django_user_model
):
    set_quota(member, "1.00")
    generation = Generation.objects.get(pk=submit_deepinfra_demo(logged_in(member)))
    for action in ("cancel", "retry"):
        assert alice_client.post(f"/generations/{generation.pk}/{action}/").status_code == 403
    assert Client().post(f"/generations/{generation.pk}/cancel/").status_code in (302, 403)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.QUEUED

    admin = django_user_model.objects.create_user("root", "root@example.com", "pw", is_staff=True)
    response = logged_in(admin).post(f"/generations/{generation.pk}/cancel/", {"next": "/?mine=1"})
    assert response.status_code == 302 and response["Location"] == "/?mine=1"
    generation.refresh_from_db()
    assert generation.status == Generation.Status.CANCELLED


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_retry_of_a_failed_generation_makes_a_new_one_with_the_same_parameters(
    member, member_client, deepinfra
):
    set_quota(member, "1.00")
    deepinfra.fault, deepinfra.fault_times = "401", 1
    failed = submit_deepinfra(member_client)
    run_generation(failed.pk)
    failed.refresh_from_db()
    assert failed.status == Generation.Status.FAILED
    assert money(member) == (0, 0)

    response = member_client.post(f"/generations/{failed.pk}/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#gallery-cards" and response["HX-Reswap"] == "afterbegin"
    again = Generation.objects.latest("id")
    assert again.pk != failed.pk
    assert f'id="generation-{again.pk}"' in response.content.decode()
    assert again.form_values() == failed.form_values()
    assert (again.status, again.author) == (Generation.Status.QUEUED, member)
    assert money(member) == (again.estimated_cost_usd, 0)  # held again
    run_generation(again.pk)
    again.refresh_from_db()
    assert again.status == Generation.Status.SUCCEEDED


def test_retry_that_does_not_fit_the_budget_says_why(member, member_client):
    set_price(usd="0.6")
    set_quota(member, "1.00")
    generation = Generation.objects.get(pk=submit_deepinfra_demo(member_client))
    cancel_generation(generation, member)
    set_quota(member, "0.10")
    response = member_client.post(f"/generations/{generation.pk}/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#generation-{generation.pk}"
    assert Generation.objects.count() == 1
    with pytest.raises(QuotaExceeded):
        retry_generation(generation, member)


def test_deleting_a_queued_generation_cancels_it_and_refunds(member):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generation = submit_generation(member, submit_data())
    hold = generation.hold
    delete_generation(generation, member)
    hold.refresh_from_db()
    assert hold.state == Hold.State.RELEASED
    assert money(member) == (0, 0)


def test_deleting_a_running_generation_charges_what_the_provider_reports_when_it_answers(
    member, deepinfra
):
    set_price(SCHNELL, usd="0.01")  # the estimate; the emulator reports DeepInfra's own formula
    set_quota(member, "1.00")
    generation = submit_deepinfra_as(member)
    call = prepare_call(generation)
    generation.mark_running(provider_called=True)
    hold, pk = generation.hold, generation.pk
    delete_generation(generation, member)
    hold.refresh_from_db()
    assert hold.state == Hold.State.HELD  # kept for the provider's answer
    assert money(member) == (hold.reserved_usd, 0)

    generation.pk = pk
    assert call_and_finish(generation, *call) == "deleted"  # the answer finds no generation
    assert not Generation.objects.exists()
    assert len(deepinfra.requests) == 1
    hold.refresh_from_db()
    assert hold.state == Hold.State.SETTLED
    reserved, spent = money(member)
    assert reserved == 0 and 0 < spent != hold.reserved_usd  # the reported cost, not $0.01


def test_deleting_a_running_generation_whose_answer_never_comes_is_charged_by_the_sweep(
    member, deepinfra
):
    set_quota(member, "1.00")
    generation = submit_deepinfra_as(member)
    generation.mark_running(provider_called=True)
    hold = generation.hold
    delete_generation(generation, member)
    assert sweep_stuck_work(stuck_after=3600).charged_holds == []  # its answer may still come
    Hold.objects.filter(pk=hold.pk).update(created_at=timezone.now() - timedelta(hours=2))

    report = sweep_stuck_work(stuck_after=3600)

    assert report.charged_holds == [hold.pk]
    hold.refresh_from_db()
    assert hold.state == Hold.State.SETTLED
    assert money(member) == (0, hold.reserved_usd)  # the estimate
    assert sweep_stuck_work(stuck_after=3600).charged_holds == []  # once


def test_a_cancelled_run_with_an_unbelievable_reported_cost_is_charged_the_estimate(
    member, deepinfra
):
    set_quota(member, "1.00")
    generation = submit_deepinfra_as(member)
    generation.mark_running(provider_called=True)
    assert cancel_generation(generation, member)
    generation.refresh_from_db()

    assert discard_cancelled(generation, GenerationResult(images=[], cost_usd=Decimal("-50")))

    assert money(member) == (0, generation.estimated_cost_usd)  # not −$50
