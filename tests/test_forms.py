"""Server-side validation of the generation form against each model's documented limits."""

import pytest

from fluxweb.generations.forms import GenerationForm

# Estimates read the admin-editable price table.
pytestmark = pytest.mark.django_db

VALID = {
    "prompt": "a lighthouse",
    "model": "demo/placeholder",
    "width": "512",
    "height": "512",
    "num_inference_steps": "4",
    "num_images": "1",
    "seed": "",
}


def form_with(**changes):
    return GenerationForm({**VALID, **changes})


def test_valid_form_cleans_to_the_model_spec():
    form = form_with()
    assert form.is_valid(), form.errors
    assert form.cleaned_data["model"].id == "demo/placeholder"
    assert form.cleaned_data["seed"] is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"prompt": ""}, "prompt", "required"),
        ({"prompt": "   "}, "prompt", "required"),
        ({"prompt": "x" * 4001}, "prompt", "at most 4000 characters"),
        ({"model": "nope/none"}, "model", "Select a valid choice"),
        ({"width": "4096"}, "width", "Width (px) must be 64–2048, a multiple of 8"),
        ({"height": "500"}, "height", "a multiple of 8"),
        ({"width": "abc"}, "width", "Enter a whole number"),
        ({"num_inference_steps": "51"}, "num_inference_steps", "Steps must be 1–50"),
        ({"num_inference_steps": "0"}, "num_inference_steps", "Steps must be 1–50"),
        ({"num_images": "5"}, "num_images", "Images must be 1–4"),
        ({"seed": "-1"}, "seed", "Seed must be 0–2147483647"),
    ],
)
def test_out_of_range_values_are_refused_with_a_message(changes, field, message):
    form = form_with(**changes)
    assert not form.is_valid()
    assert any(message in error for error in form.errors[field]), form.errors


def test_blank_steps_take_the_model_default():
    form = form_with(num_inference_steps="")
    assert form.is_valid()
    assert form.cleaned_data["num_inference_steps"] == 4


def test_deepinfra_limits_apply_when_it_is_chosen(deepinfra):
    form = form_with(model="deepinfra/flux-1-schnell", width="520")  # not a multiple of 32
    assert not form.is_valid()
    assert (
        "Width (px) must be 128–1536, a multiple of 32 for FLUX.1 [schnell] · DeepInfra."
        in form.errors["width"]
    )


def test_only_enabled_models_are_offered(settings, deepinfra):
    offered = [value for value, _ in GenerationForm().fields["model"].choices]
    assert offered == ["deepinfra/flux-1-schnell", "deepinfra/flux-1-dev", "demo/placeholder"]
    settings.FLUXWEB_DEMO_PROVIDER = False
    settings.DEEPINFRA_API_KEY = ""
    assert GenerationForm().fields["model"].choices == []
    assert not form_with().is_valid()


def test_estimate_needs_only_the_priced_fields(deepinfra):
    form = GenerationForm(
        {
            "model": "deepinfra/flux-1-dev",
            "width": "1024",
            "height": "1024",
            "num_inference_steps": "25",
            "num_images": "2",
        }
    )
    assert str(form.estimate()) == "0.018000"
    assert form_with(model="deepinfra/flux-1-dev", width="9999").estimate() is None
