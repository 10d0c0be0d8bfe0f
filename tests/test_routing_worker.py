"""Done when: with best price on and the cheapest host out of credits, members keep
generating without noticing, through the real worker process."""

from __future__ import annotations

import pytest

from fluxweb.budgets.models import Hold, LedgerEntry
from fluxweb.generations.models import Generation
from tests.processes import app_env, wait_for, worker

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {
    "prompt": "A lighthouse on a cliff at dusk",
    "model": "best-price/flux-1-schnell",
    "width": 1024,
    "height": 1024,
    "num_inference_steps": 12,  # AIML API $0.004, DeepInfra $0.006: AIML is cheapest
    "num_images": 1,
}


def finished(pk: int) -> Generation | None:
    generation = Generation.objects.get(pk=pk)
    return generation if generation.is_finished else None


def test_members_keep_generating_while_the_cheapest_host_is_out_of_credits(
    settings, member_client, aimlapi, deepinfra, tmp_path
):
    settings.FLUXWEB_BEST_PRICE = True
    settings.DEEPINFRA_OPENAI = False
    aimlapi.fault, aimlapi.fault_times = "403-credits", None  # every call, until topped up
    env = app_env(**aimlapi.env, **deepinfra.env, FLUXWEB_BEST_PRICE="1", DEEPINFRA_OPENAI="0")
    log = tmp_path / "worker.log"
    with worker(env, log) as process:
        pks = []
        for _ in range(2):
            response = member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            pks.append(Generation.objects.latest("id").pk)
        done = [wait_for(lambda pk=pk: finished(pk)) for pk in pks]
        assert process.poll() is None, log.read_text()
    for generation in done:
        assert generation.status == Generation.Status.SUCCEEDED, generation.error
        assert generation.provider == "deepinfra"
        assert generation.route_summary == "AIML API out of credits → DeepInfra"
        hold = Hold.objects.get(pk=generation.hold_id)
        assert hold.entries.filter(kind=LedgerEntry.Kind.CHARGE).count() == 1
