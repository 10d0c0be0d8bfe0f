"""Which providers and models settings enable, and how the form presents them."""

from __future__ import annotations

import pytest

from fluxweb.generations.forms import GenerationForm
from fluxweb.generations.models import Generation
from fluxweb.providers.catalog import PROVIDERS
from fluxweb.providers.registry import get_registry

ALL_KEYS = {
    "DEEPINFRA_API_KEY": "d",
    "DEEPINFRA_OPENAI": True,
    "AIMLAPI_API_KEY": "a",
    "SEGMIND_API_KEY": "s",
    "IMAGEPIPELINE_API_KEY": "i",
    "OPENAI_IMAGES_BASE_URL": "https://proxy.example/v1",
    "OPENAI_IMAGES_API_KEY": "o",
    "OPENAI_IMAGES_MODELS": ["flux-schnell"],
}


UNSET = {"OPENAI_IMAGES_MODELS": [], "DEEPINFRA_OPENAI": False}


def configure(settings, **values):
    for name in ALL_KEYS:
        setattr(settings, name, UNSET.get(name, ""))
    for name, value in values.items():
        setattr(settings, name, value)


def test_only_the_demo_without_keys(settings):
    configure(settings)
    assert list(get_registry().providers) == ["demo"]


def test_every_provider_with_its_settings(settings):
    configure(settings, **ALL_KEYS)
    assert list(get_registry().models) == [
        "deepinfra/flux-1-schnell",
        "deepinfra/flux-1-dev",
        "deepinfra-openai/flux-1-schnell",
        "deepinfra-openai/flux-1-dev",
        "aimlapi/flux-schnell",
        "aimlapi/flux-dev",
        "segmind/flux-schnell",
        "imagepipeline/flux-schnell",
        "openai-images/flux-schnell",
        "demo/placeholder",
    ]
    assert [info.slug for info in PROVIDERS] == list(get_registry().providers)


@pytest.mark.parametrize(
    ("values", "enabled"),
    [
        ({"DEEPINFRA_OPENAI": True}, []),  # the OpenAI mount needs DeepInfra's key too
        ({"DEEPINFRA_API_KEY": "d"}, ["deepinfra"]),
        ({"OPENAI_IMAGES_BASE_URL": "https://proxy.example/v1", "OPENAI_IMAGES_API_KEY": "o"}, []),
        ({"AIMLAPI_API_KEY": "a"}, ["aimlapi"]),
    ],
)
def test_a_provider_needs_all_its_settings(settings, values, enabled):
    configure(settings, FLUXWEB_DEMO_PROVIDER=False, **values)
    assert list(get_registry().providers) == enabled


@pytest.mark.parametrize(
    ("model", "disabled", "notes"),
    [
        (
            "deepinfra-openai/flux-1-schnell",
            {"num_inference_steps", "seed", "guidance_scale", "negative_prompt"},
            ["has no steps parameter", "takes no seed"],
        ),
        ("aimlapi/flux-dev", {"negative_prompt"}, ["1–20"]),
        (
            "aimlapi/flux-schnell",
            {"negative_prompt", "guidance_scale"},
            ["64–1536, a multiple of 32"],
        ),
        ("segmind/flux-schnell", {"negative_prompt", "guidance_scale"}, ["exactly 1", "1–8"]),
        ("imagepipeline/flux-schnell", {"guidance_scale"}, ["256–1536, a multiple of 16"]),
    ],
)
@pytest.mark.django_db  # AIML's form reads the safety policy (generations/safety.py)
def test_the_form_shows_each_models_parameters_honestly(settings, model, disabled, notes):
    configure(settings, **ALL_KEYS)
    form = GenerationForm(initial={"model": model})
    assert {name for name, field in form.fields.items() if field.disabled} == disabled
    help_texts = " ".join(str(field.help_text) for field in form.fields.values())
    for note in notes:
        assert note in help_texts


@pytest.mark.django_db
def test_openai_style_generations_record_no_steps_nor_seed(settings, member_client):
    configure(settings, **ALL_KEYS)
    response = member_client.post(
        "/generations/new/",
        {
            "prompt": "a fox",
            "model": "deepinfra-openai/flux-1-dev",
            "width": 512,
            "height": 512,
            "num_inference_steps": 30,
            "seed": 42,
            "num_images": 1,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    generation = Generation.objects.get()
    assert (generation.num_inference_steps, generation.seed) == (None, None)
    # DeepInfra's dev formula at the assumed 25 steps: $0.009 × ¼.
    assert str(generation.estimated_cost_usd) == "0.002250"
