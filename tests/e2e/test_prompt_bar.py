"""The prompt bar in a browser: aspect presets, Ctrl+Enter, the prompt counter, the welcome's
examples, and the new card landing in view right under the bar on a laptop and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fluxweb.generations.models import Generation
from tests.e2e.test_live_gallery import alice  # noqa: F401 (fixture)
from tests.factories import make_generation

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


# The first card (queried again each time: the live stream replaces it as it runs).
NEW_CARD_IN_VIEW = """() => {
  const b = document.querySelector("#gallery-cards > article").getBoundingClientRect();
  return b.height > 0 && b.top >= 0 && b.left >= 0
    && b.bottom <= innerHeight && b.right <= innerWidth;
}"""


@pytest.mark.parametrize("size", SIZES)
def test_a_new_card_lands_in_view_under_the_prompt_bar(
    app,
    alice,  # noqa: F811
    django_user_model,
    screenshot,
    size,
):
    author = django_user_model.objects.get(username=alice[0])
    for n in range(8):  # a gallery that already fills the screen
        make_generation(
            author, f"An older lighthouse {n}", status=Generation.Status.FAILED, error="test"
        )
    page = app.login(*alice)
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    form = page.locator("#generation-form")
    expect(page.locator("#model-prices")).to_have_count(1)  # the estimate has loaded
    screenshot(page, f"prompt-bar-{size}")

    form.get_by_label("Prompt", exact=True).fill("A paper crane on a windowsill, morning light")
    form.get_by_text("16:9", exact=True).click()
    expect(form.get_by_label("Width (px)")).to_have_value("1024")
    expect(form.get_by_label("Height (px)")).to_have_value("576")
    form.get_by_label("Prompt", exact=True).press("Control+Enter")

    card = page.locator("#gallery-cards > article").first
    expect(card).to_contain_text("A paper crane on a windowsill")
    # Inside the viewport: scrolled into view if it landed out of sight.
    page.wait_for_function(NEW_CARD_IN_VIEW)
    card_top = card.evaluate("c => c.getBoundingClientRect().top + scrollY")
    bar_bottom = form.evaluate("f => f.getBoundingClientRect().bottom + scrollY")
    assert card_top >= bar_bottom
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    generation = Generation.objects.latest("id")
    assert (generation.width, generation.height) == (1024, 576)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_prompt_bar(app, alice, screenshot, size, scheme):  # noqa: F811
    page = app.login(*alice)
    page.emulate_media(color_scheme=scheme)
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    expect(page.locator("#welcome")).to_contain_text("Welcome, alice")
    expect(page.locator("#model-prices")).to_have_count(1)
    page.locator("#generation-form details[data-advanced] > summary").click()
    screenshot(page, f"prompt-bar-{size}-{scheme}")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_the_welcome_fills_the_bar_and_a_too_long_prompt_is_counted_not_cut(app, alice):  # noqa: F811
    page = app.login(*alice)
    form = page.locator("#generation-form")
    example = page.locator("#welcome [data-example-prompt]").first
    text = example.get_attribute("data-example-prompt")
    example.click()
    expect(form.get_by_label("Prompt", exact=True)).to_have_value(text)
    expect(form.locator("input[name=aspect]:checked")).to_have_value(
        example.get_attribute("data-example-aspect")
    )
    expect(form.locator("#prompt-counter")).to_contain_text(f"{len(text)} / 4000")

    # The model list prices each model for the size filled in.
    expect(form.get_by_label("Model").locator("option").first).to_have_text(
        re.compile(r" · \$\d+\.\d+/image$")
    )

    long_prompt = "a very long prompt " * 220  # 4,180 characters
    form.get_by_label("Prompt", exact=True).fill(long_prompt)
    expect(form.locator("#prompt-counter")).to_contain_text("too long by 180")
    form.get_by_role("button", name="Generate").click()
    expect(form).to_contain_text("at most 4000 characters")
    expect(form.get_by_label("Prompt", exact=True)).to_have_value(long_prompt)  # nothing cut
    assert not Generation.objects.exists()
