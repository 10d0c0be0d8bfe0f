"""Issue 17 §3 in a browser: an image the provider's safety checker flagged is blurred in the
gallery and the detail view, revealed by its button with the mouse or the keyboard; the
"Flagged" filter; the admin's safety page. Every page fits 390 px, obeys the CSP and passes
axe, light and dark (screenshots in test-results/safety-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from fluxweb.generations.models import GeneratedImage
from fluxweb.generations.safety import set_safety_forced
from tests.e2e.conftest import App
from tests.e2e.test_image_first_ui import audit, open_context, settle
from tests.factories import make_finished_generation
from tests.processes import app_env, web_server


@pytest.fixture
def people(django_user_model):
    """An admin (ada), a member (milo), a flagged and a clean image."""
    django_user_model.objects.create_user("ada", password="ada-password-1", is_staff=True)
    milo = django_user_model.objects.create_user("milo", password="milo-password-1")
    flagged = make_finished_generation(milo, "A red fox asleep in snow", width=512, height=512)
    GeneratedImage.objects.filter(generation=flagged).update(nsfw_flagged=True)
    clean = make_finished_generation(milo, "A lighthouse at dusk", width=768, height=512)
    return {
        "ada": ("ada", "ada-password-1"),
        "milo": ("milo", "milo-password-1"),
        "flagged": flagged,
        "clean": clean,
    }


def wait_blurred(page: Page, selector: str, expected: bool) -> None:
    """Wait until the image at ``selector`` is blurred (``expected``) or not; fails after
    5 s (a card the live gallery swaps is drawn again, so the style is polled)."""
    page.wait_for_function(
        "([selector, expected]) => { const el = document.querySelector(selector);"
        " return !!el && getComputedStyle(el).filter.includes('blur') === expected; }",
        arg=[selector, expected],
        timeout=5000,
    )


def test_flagged_image_is_blurred_and_revealed_by_click_and_keyboard(app, people, screenshot):
    page = open_context(app.browser, app.base_url, "desktop", "light", people["milo"])
    flagged, clean = people["flagged"], people["clean"]
    card = page.locator(f"#generation-{flagged.pk}")
    image = f"#generation-{flagged.pk} img.card__image"
    wait_blurred(page, image, True)
    wait_blurred(page, f"#generation-{clean.pk} img.card__image", False)
    button = card.get_by_role("button", name=re.compile("Flagged by"))
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_contain_text("Hide")
    wait_blurred(page, image, False)
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "false")
    wait_blurred(page, image, True)

    page.goto(f"/generations/{flagged.pk}/")
    settle(page)
    detail_image = "#detail img.flagged-image"
    wait_blurred(page, detail_image, True)
    reveal = page.locator("#detail").get_by_role("button", name=re.compile("Flagged by"))
    reveal.focus()
    page.keyboard.press("Space")
    expect(reveal).to_have_attribute("aria-pressed", "true")
    wait_blurred(page, detail_image, False)
    expect(page.locator("#detail")).to_contain_text("Flagged by")


def test_flagged_filter_shows_only_flagged_images(app, people):
    page = open_context(app.browser, app.base_url, "desktop", "light", people["milo"])
    page.goto("/?flagged=on")
    settle(page)
    expect(page.locator(f"#generation-{people['flagged'].pk}")).to_be_visible()
    expect(page.locator(f"#generation-{people['clean'].pk}")).to_have_count(0)
    expect(page.get_by_label("Flagged")).to_be_checked()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_safety_pages_fit_and_pass_axe(app, people, screenshot, viewport, scheme):
    problems = []
    milo = open_context(app.browser, app.base_url, viewport, scheme, people["milo"])
    problems += audit(milo, f"gallery {viewport} {scheme}")
    screenshot(milo, f"safety-gallery-{viewport}-{scheme}")
    milo.goto(f"/generations/{people['flagged'].pk}/")
    problems += audit(milo, f"detail {viewport} {scheme}")
    screenshot(milo, f"safety-detail-{viewport}-{scheme}")
    ada = open_context(app.browser, app.base_url, viewport, scheme, people["ada"])
    ada.goto("/settings/safety/")
    problems += audit(ada, f"safety page {viewport} {scheme}")
    screenshot(ada, f"safety-settings-{viewport}-{scheme}")
    assert not problems, "\n".join(problems)


def test_admin_forces_the_checker_and_the_form_locks_it(app, people):
    page = open_context(app.browser, app.base_url, "desktop", "light", people["ada"])
    page.goto("/settings/safety/")
    page.get_by_label("Always use the provider's safety checker").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("now always on")).to_be_visible()
    expect(page.get_by_label("Always use the provider's safety checker")).to_be_checked()


@pytest.fixture
def options_app(browser, aimlapi, segmind, tmp_path):
    """fluxweb (web only) with AIML and Segmind enabled, pointed at their emulators."""
    env = app_env(**aimlapi.env, **segmind.env)
    with web_server(env, tmp_path / "web.log") as base_url:
        yield App(base_url, browser)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_advanced_panel_offers_the_models_options(
    options_app, people, screenshot, viewport, scheme
):
    set_safety_forced(True, None)
    page = open_context(options_app.browser, options_app.base_url, viewport, scheme, people["milo"])
    page.locator("#id_model").select_option("segmind/flux-schnell")
    settle(page)
    page.locator("[data-advanced] summary").click()
    expect(page.get_by_label("Sampler")).to_have_value("euler")
    expect(page.get_by_label("Scheduler")).to_have_value("normal")
    expect(page.get_by_label("Denoise")).to_have_value("1.0")
    problems = audit(page, f"segmind options {viewport} {scheme}")
    screenshot(page, f"safety-options-segmind-{viewport}-{scheme}")
    page.goto("/")  # a fresh page: axe's own run leaves inline styles behind
    page.locator("#id_model").select_option("aimlapi/flux-schnell")
    settle(page)
    page.locator("[data-advanced] summary").click()
    checker = page.get_by_label("Provider's safety checker")
    expect(checker).to_be_checked()
    expect(checker).to_be_disabled()
    expect(page.get_by_text("An admin requires the provider's safety checker")).to_be_visible()
    problems += audit(page, f"aiml options {viewport} {scheme}")
    screenshot(page, f"safety-options-aiml-{viewport}-{scheme}")
    assert not problems, "\n".join(problems)
