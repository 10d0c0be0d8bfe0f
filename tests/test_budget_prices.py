"""The price table: estimates follow each model's formula, admins can override them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from fluxweb.budgets.models import ModelPrice
from fluxweb.budgets.prices import ensure_prices, estimate_cost
from fluxweb.generations.forms import GenerationForm
from fluxweb.providers.pricing import FLUX_DEV, FLUX_SCHNELL, Basis, Price
from fluxweb.providers.registry import get_registry
from tests.budget_factories import set_price

pytestmark = pytest.mark.django_db

SIZES = [(1024, 1024), (512, 768), (1536, 640), (256, 256)]


@pytest.fixture
def all_models(settings):
    settings.DEEPINFRA_API_KEY = "key"
    return get_registry().models


def formula(spec, width, height, steps, images) -> Decimal:
    """The issue's formula written out: Σ images of rate × (w/1024) × (h/1024) × steps/unit."""
    price = spec.price
    per_image = (
        price.usd_per_unit
        * Decimal(width)
        / 1024
        * Decimal(height)
        / 1024
        * Decimal(steps)
        / price.steps_per_unit
    )
    return (per_image * images).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("images", [1, 3])
def test_form_estimate_matches_the_formula_for_every_model_and_size(
    all_models, width, height, images
):
    for spec in all_models.values():
        if spec.price.basis != Basis.PIXEL_STEP:
            continue
        steps = spec.default_steps or 1
        form = GenerationForm(
            {
                "prompt": "x",
                "model": spec.id,
                "width": width,
                "height": height,
                "num_inference_steps": steps,
                "num_images": images,
            }
        )
        assert form.estimate() == formula(spec, width, height, steps, images), spec.id


def test_deepinfra_reference_figures(all_models):
    schnell, dev = all_models["deepinfra/flux-1-schnell"], all_models["deepinfra/flux-1-dev"]
    assert estimate_cost(schnell, 1024, 1024, 4, 1) == Decimal("0.002")
    assert estimate_cost(dev, 1024, 1024, 28, 1) == Decimal("0.01008")


def test_seeded_rows_copy_the_defaults_and_leave_edits_alone(all_models):
    ModelPrice.objects.all().delete()
    assert ensure_prices() == len(all_models)
    schnell = ModelPrice.objects.get(model_id="deepinfra/flux-1-schnell")
    assert schnell.as_price() == FLUX_SCHNELL
    assert ModelPrice.objects.get(model_id="deepinfra/flux-1-dev").as_price() == FLUX_DEV
    schnell.usd_per_unit = Decimal("0.001")
    schnell.save()
    assert ensure_prices() == 0
    assert estimate_cost(all_models["deepinfra/flux-1-schnell"], 1024, 1024, 4, 1) == Decimal(
        "0.004"
    )


def test_demo_is_free_until_an_admin_prices_it(all_models):
    demo = all_models["demo/placeholder"]
    assert estimate_cost(demo, 1024, 1024, 4, 2) == 0
    set_price("demo/placeholder", "0.003", Basis.IMAGE)
    assert estimate_cost(demo, 1024, 1024, 4, 2) == Decimal("0.006")


def test_missing_row_falls_back_to_the_model_spec(all_models):
    ModelPrice.objects.all().delete()
    assert estimate_cost(all_models["deepinfra/flux-1-dev"], 1024, 1024, 25, 2) == Decimal("0.018")


def test_per_image_and_hourly_prices_are_honest():
    assert Price.per_image(Decimal("0.004")).estimate(1536, 1536, 50, 3) == Decimal("0.012")
    hourly = Price.per_hour(Decimal("1"), images_per_hour=400)
    assert hourly.estimate(1024, 1024, 20, 2) == Decimal("0.005")
    assert hourly.describe() == "$1 per server hour (≈400 images/hour assumed)"
    assert FLUX_DEV.describe() == "$0.009 per 1024² px per 25 steps"
    with pytest.raises(ValueError, match="images_per_hour"):
        Price(Decimal("1"), basis=Basis.HOUR)
