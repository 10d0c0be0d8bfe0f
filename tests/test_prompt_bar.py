"""The prompt bar on the server: aspect presets on each model's size grid, the form drawn for
another model keeps the aspect, prices per model, no silent cut of a long prompt, and the
welcome for a member with no generations yet."""

from __future__ import annotations

import re

import pytest

from fluxweb.generations.forms import MAX_PROMPT_LENGTH, GenerationForm
from fluxweb.generations.sizes import ASPECT_NAMES, aspect_of, preset_size, presets
from fluxweb.providers.registry import get_registry
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


def test_aiml_presets_are_its_documented_image_sizes(aimlapi):
    spec = get_registry().model("aimlapi/flux-schnell")
    # AIML/fal image_size: square_hd, landscape_4_3, landscape_16_9, portrait_4_3, portrait_16_9
    documented = {
        "1:1": (1024, 1024),
        "4:3": (1024, 768),
        "16:9": (1024, 576),
        "3:4": (768, 1024),
        "9:16": (576, 1024),
    }
    for aspect, size in documented.items():
        assert preset_size(spec, aspect) == size


def test_every_preset_fits_its_models_grid_and_keeps_its_shape(
    aimlapi, deepinfra, segmind, imagepipeline, openai_images
):
    specs = list(get_registry().models.values())
    assert len(specs) > 5
    for spec in specs:
        made = presets(spec)
        assert [name for name, _, _ in made] == list(ASPECT_NAMES)
        for name, width, height in made:
            assert spec.width.contains(width) and spec.height.contains(height), (spec.id, name)
            ratio_w, ratio_h = map(int, name.split(":"))
            assert abs(width / height - ratio_w / ratio_h) < 0.05, (spec.id, name, width, height)
            assert aspect_of(spec, width, height) == name


def test_unknown_aspect_has_no_size():
    spec = get_registry().model("demo/placeholder")
    assert preset_size(spec, "5:4") is None
    assert preset_size(spec, "") is None
    assert aspect_of(spec, 1000, 1000) == ""


def test_the_form_for_another_model_keeps_the_aspect_not_the_pixels(member_client, segmind):
    # 16:9 on the demo model is 1024×576; segmind's grid (512..2048, multiples of 8) has its own.
    response = member_client.get(
        "/generations/form/",
        {"model": "segmind/flux-schnell", "aspect": "16:9", "width": "1000", "height": "560"},
    )
    html = response.content.decode()
    spec = get_registry().model("segmind/flux-schnell")
    width, height = preset_size(spec, "16:9")
    assert f'name="width" value="{width}"' in html and f'name="height" value="{height}"' in html
    assert re.search(r'value="16:9"[^>]*checked', html)


def test_a_custom_size_stays_as_typed(member_client, deepinfra):
    response = member_client.get(
        "/generations/form/", {"model": "deepinfra/flux-1-schnell", "width": "640", "height": "448"}
    )
    html = response.content.decode()
    assert 'name="width" value="640"' in html and 'name="height" value="448"' in html
    assert re.search(r'<input type="radio" name="aspect" value="" checked>', html)


def test_the_prompt_is_counted_never_cut():
    form = GenerationForm()
    assert "maxlength" not in str(form["prompt"])  # a browser would cut a paste silently
    too_long = GenerationForm(
        {
            "prompt": "x" * (MAX_PROMPT_LENGTH + 5),
            "model": "demo/placeholder",
            "width": "512",
            "height": "512",
            "num_images": "1",
        }
    )
    assert not too_long.is_valid()
    assert too_long.prompt_excess == 5
    assert "at most 4000 characters" in str(too_long.errors["prompt"])


def test_the_estimate_prices_every_model_for_the_size_filled_in(member_client, deepinfra):
    small = member_client.get(
        "/generations/estimate/",
        {"model": "deepinfra/flux-1-schnell", "width": "512", "height": "512", "num_images": "1"},
    ).content.decode()
    large = member_client.get(
        "/generations/estimate/",
        {"model": "deepinfra/flux-1-schnell", "width": "1024", "height": "1024", "num_images": "1"},
    ).content.decode()
    small_prices, large_prices = (
        dict(re.findall(r'<li data-model="([^"]+)">([^<]+)</li>', html)) for html in (small, large)
    )
    assert set(small_prices) == set(get_registry().models)
    assert small_prices["deepinfra/flux-1-schnell"] != large_prices["deepinfra/flux-1-schnell"]


def test_hostile_sizes_do_not_break_the_prices(member_client, deepinfra):
    for width in ("-5", "0", "1e9", "abc", "99999999999999999999"):
        response = member_client.get(
            "/generations/estimate/",
            {"model": "deepinfra/flux-1-schnell", "width": width, "height": "512"},
        )
        assert response.status_code == 200


def test_a_new_member_is_welcomed_with_example_prompts(member, member_client):
    home = member_client.get("/").content.decode()
    assert 'id="welcome"' in home and "/generations/welcome/" in home
    welcome = member_client.get("/generations/welcome/").content.decode()
    assert "Welcome, bob" in welcome
    assert welcome.count("data-example-prompt=") >= 3


def test_no_welcome_once_the_member_has_generated(member, member_client):
    make_generation(member)
    response = member_client.get("/generations/welcome/")
    assert response.status_code == 200 and response.content == b""
