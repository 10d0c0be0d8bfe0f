import io

from PIL import Image

from fluxweb.providers.base import GenerationRequest
from fluxweb.providers.demo import DemoProvider, render_placeholder


def test_demo_model_is_labelled_and_never_flux():
    (model,) = DemoProvider().models()
    assert "Demo (offline)" in model.label
    assert "not FLUX" in model.label
    assert model.is_demo and model.estimate_cost(1024, 1024, 4, 1) == 0


def test_same_prompt_and_seed_give_the_same_pixels():
    first = render_placeholder("a red fox", 42, 320, 240)
    assert first == render_placeholder("a red fox", 42, 320, 240)
    assert first != render_placeholder("a red fox", 43, 320, 240)
    assert first != render_placeholder("a blue fox", 42, 320, 240)


def test_generate_returns_png_images_of_the_requested_size():
    provider = DemoProvider()
    (model,) = provider.models()
    result = provider.generate(
        GenerationRequest(model=model, prompt="dunes", width=384, height=256, num_images=2, seed=5)
    )
    assert result.seed == 5 and len(result.images) == 2
    assert result.images[0] != result.images[1]  # each image of a batch differs
    with Image.open(io.BytesIO(result.images[0])) as image:
        assert (image.format, image.size) == ("PNG", (384, 256))
