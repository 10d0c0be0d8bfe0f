"""Every documented seed parameter (issue 17 §4): Segmind's sampler_name, scheduler and
denoise (seed 002, shared/providers.md §3.1) as validated advanced options, sent as
documented, shown on the detail view and reused by remix; ImagePipeline's negative_prompt
and samples (seed 001) checked against the seed."""

from decimal import Decimal

import pytest

from fluxweb.generations.forms import GenerationForm
from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from fluxweb.providers.imagepipeline import ImagePipelineProvider
from fluxweb.providers.options import SAMPLER_NAME, SCHEDULER
from fluxweb.providers.registry import get_registry
from tests.factories import make_generation

pytestmark = pytest.mark.django_db

SEGMIND = {
    "prompt": "a bengal tiger in an astronaut suit",
    "model": "segmind/flux-schnell",
    "width": 1024,
    "height": 1024,
    "num_images": 1,
}


def segmind_form(**fields):
    return GenerationForm({**SEGMIND, **fields})


def test_segmind_model_declares_its_documented_options(segmind):
    spec = get_registry().models["segmind/flux-schnell"]
    assert spec.options == ("sampler_name", "scheduler", "denoise")
    assert set(SCHEDULER.choices) == {
        "normal",
        "karras",
        "exponential",
        "sgm_uniform",
        "simple",
        "ddim_uniform",
    }
    assert SAMPLER_NAME.default == "euler" and "dpm_fast" in SAMPLER_NAME.choices


def test_valid_segmind_options_are_kept(segmind):
    form = segmind_form(sampler_name="heun", scheduler="karras", denoise="0.75")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["options"] == {
        "sampler_name": "heun",
        "scheduler": "karras",
        "denoise": 0.75,
    }


def test_blank_segmind_options_take_the_documented_defaults(segmind):
    form = segmind_form()
    assert form.is_valid(), form.errors
    assert form.cleaned_data["options"] == {
        "sampler_name": "euler",
        "scheduler": "normal",
        "denoise": 1.0,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sampler_name", "dpmpp_9m", "Select a valid choice"),
        ("scheduler", "beta", "Select a valid choice"),
        ("denoise", "1.5", "less than or equal to 1"),
        ("denoise", "-0.1", "greater than or equal to 0"),
        ("denoise", "nan", "Enter a number"),
        ("denoise", "soft", "Enter a number"),
    ],
)
def test_bad_segmind_options_are_clear_form_errors(segmind, field, value, message):
    form = segmind_form(**{field: value})
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_options_of_another_provider_are_dropped(segmind, aimlapi):
    form = GenerationForm(
        {**SEGMIND, "model": "aimlapi/flux-schnell", "width": 512, "height": 384, "denoise": "0.5"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["options"] == {"enable_safety_checker": False}


def test_advanced_panel_offers_only_the_models_options(member_client, segmind, aimlapi):
    segmind_html = member_client.get("/generations/form/", {"model": "segmind/flux-schnell"})
    html = segmind_html.content.decode()
    assert 'name="sampler_name"' in html and 'name="denoise"' in html
    assert 'name="enable_safety_checker"' not in html
    aiml_html = member_client.get("/generations/form/", {"model": "aimlapi/flux-schnell"})
    html = aiml_html.content.decode()
    assert 'name="enable_safety_checker"' in html and 'name="sampler_name"' not in html


def test_submitted_options_reach_segmind_and_the_detail_view(member, member_client, segmind):
    response = member_client.post(
        "/generations/new/",
        {**SEGMIND, "sampler_name": "dpm_2", "scheduler": "simple", "denoise": "0.6"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()
    generation = Generation.objects.get()
    assert generation.options == {"sampler_name": "dpm_2", "scheduler": "simple", "denoise": 0.6}
    generation = run_generation(generation.pk)
    assert generation.status == "succeeded", generation.error
    (sent,) = [r.json() for r in segmind.requests if r.method == "POST"]
    assert (sent["sampler_name"], sent["scheduler"], sent["denoise"]) == ("dpm_2", "simple", 0.6)
    detail = member_client.get(f"/generations/{generation.pk}/").content.decode()
    assert "<dt>sampler_name</dt><dd>dpm_2</dd>" in detail
    assert "<dt>denoise</dt><dd>0.6</dd>" in detail


def test_remix_reuses_the_options(member, member_client, segmind):
    generation = make_generation(
        member,
        provider="segmind",
        model="segmind/flux-schnell",
        width=1024,
        height=1024,
        options={"sampler_name": "lms", "scheduler": "exponential", "denoise": 0.3},
        estimated_cost_usd=Decimal("0.008"),
    )
    assert generation.form_values()["sampler_name"] == "lms"
    page = member_client.get("/", {"remix": generation.pk}).content.decode()
    assert '<option value="lms" selected>' in page
    assert '<option value="exponential" selected>' in page
    assert 'name="denoise" value="0.3"' in page


def test_retry_keeps_the_options(member, member_client, segmind):
    generation = make_generation(
        member,
        provider="segmind",
        model="segmind/flux-schnell",
        width=1024,
        height=1024,
        status="failed",
        options={"sampler_name": "heun", "scheduler": "karras", "denoise": 0.9},
        estimated_cost_usd=Decimal("0.008"),
    )
    response = member_client.post(f"/generations/{generation.pk}/retry/")
    assert response.status_code in (200, 302)
    retried = Generation.objects.exclude(pk=generation.pk).get()
    assert retried.options == generation.options


def test_imagepipeline_negative_prompt_and_samples_match_seed_001(imagepipeline):
    (spec,) = ImagePipelineProvider("k", imagepipeline.base_url).models()
    assert spec.negative_prompt is True  # "negative_prompt: string, optional"
    assert (spec.num_images.minimum, spec.num_images.maximum) == (1, 4)  # "samples: Max: 4"
    assert spec.width.maximum == spec.height.maximum == 1536  # "Max: 1536"
