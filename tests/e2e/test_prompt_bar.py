"""The prompt bar in a browser: aspect presets, Ctrl+Enter, the prompt counter, the welcome's
examples, and the new card landing in view right under the bar on a laptop and a phone."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from fluxweb.budgets.models import Quota
from fluxweb.generations.models import Generation
from tests.budget_factories import set_quota
from tests.e2e.test_live_gallery import alice  # noqa: F401 (fixture)
from tests.factories import make_generation

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


# The first card (queried again each time: the live stream replaces it as it runs).
NEW_CARD_IN_VIEW = """() => {
  const b = document.querySelector("#gallery-cards > article").getBoundingClientRect();
  return b.height > 0 && b.top >= 0 && b.left >= 0
    && b.bottom <= innerHeight && b.right <= innerWidth;
}"""


CARD_TOP_AND_BAR_BOTTOM = """() => [
  document.querySelector("#gallery-cards > article").getBoundingClientRect().top,
  document.querySelector("#generation-form").getBoundingClientRect().bottom,
]"""


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
    # Both read in one go: the live stream replaces the card (queued → running → done), and a
    # card read on its own could be the one just swapped out (detached, its box all zeros).
    card_top, bar_bottom = page.evaluate(CARD_TOP_AND_BAR_BOTTOM)
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


def bar_colour(page, selector: str) -> tuple[int, int, int]:
    """The colour drawn a third of the way along the meter: its fill at any level used here."""
    meter = page.locator(selector)
    expect(meter).to_be_visible()
    shot = meter.screenshot(animations="disabled")
    with Image.open(io.BytesIO(shot)) as image:
        rgb = image.convert("RGB")
        return rgb.getpixel((rgb.width // 3, rgb.height // 2))


def css_colour(page, variable: str) -> tuple[int, int, int]:
    """A colour variable of the page's theme (a #rrggbb value)."""
    value = page.evaluate(
        "v => getComputedStyle(document.documentElement).getPropertyValue(v).trim()", variable
    )
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize(
    ("spent", "variable"), [("0.79", "--ok"), ("0.80", "--warn"), ("0.95", "--bad")]
)
def test_the_budget_bar_turns_amber_at_80_and_red_at_95_percent(
    app,
    alice,  # noqa: F811
    django_user_model,
    spent,
    variable,
):
    author = django_user_model.objects.get(username=alice[0])
    set_quota(author, "1.00")
    Quota.objects.filter(user=author).update(spent_usd=Decimal(spent))
    page = app.login(*alice)
    expect(page.locator("#budget-remaining")).to_contain_text("of $1.00")
    assert bar_colour(page, "#budget-remaining meter") == css_colour(page, variable)
    page.goto(f"{app.base_url}/usage/")
    assert bar_colour(page, ".usage-budget meter") == css_colour(page, variable)
