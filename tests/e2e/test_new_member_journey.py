"""Issue 14's "done when", as one journey in a browser on a laptop and on a phone: a new
member logs in and is welcomed, generates with an aspect preset, sees the card land under
the prompt bar and the image replace it, opens it in the lightbox (zoom to 100 %, arrow keys,
a swipe on the phone, Esc), cancels a queued job (never sent, refunded in full) and retries a
failed one (same parameters, a new generation).

The worker runs one task at a time, and DeepInfra's emulator holds its answers until the
test lets them go, so a second DeepInfra request stays queued while the first one runs."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fluxweb.budgets.models import Quota
from fluxweb.generations.models import Generation
from tests.budget_factories import set_quota
from tests.e2e.conftest import App
from tests.emulators.deepinfra import API_KEY
from tests.factories import make_finished_generation
from tests.processes import app_env, web_server, worker

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
DEMO = "demo/placeholder"
SCHNELL = "deepinfra/flux-1-schnell"
# Queried each time: the live stream replaces the card as it runs.
IN_VIEW = """selector => {
  const card = document.querySelector(selector);
  if (!card) return false;
  const b = card.getBoundingClientRect();
  return b.height > 0 && b.top >= 0 && b.bottom <= innerHeight && b.right <= innerWidth;
}"""
LOADED = "img => img.complete && img.naturalWidth > 0"
SWIPE_LEFT = """stage => {
  const at = (x) => [new Touch({identifier: 1, target: stage, clientX: x, clientY: 300})];
  stage.dispatchEvent(new TouchEvent("touchstart", {bubbles: true, touches: at(300)}));
  stage.dispatchEvent(new TouchEvent("touchend", {bubbles: true, changedTouches: at(120)}));
}"""


@pytest.fixture
def one_slot_app(browser, deepinfra, tmp_path) -> Iterator[App]:
    """fluxweb (uvicorn + a worker running one task at a time), DeepInfra on its emulator."""
    env = app_env(
        DEEPINFRA_API_KEY=API_KEY,
        DEEPINFRA_BASE_URL=deepinfra.base_url,
        FLUXWEB_DEMO_DELAY="0.5",
        FLUXWEB_WORKER_THREADS="1",
    )
    log = tmp_path / "worker.log"
    with worker(env, log, "--threads", "1"), web_server(env, tmp_path / "web.log") as base_url:
        yield App(base_url, browser)


def pick_model(page, model: str) -> None:
    """Choose a model: the form's body re-renders for it; wait for the new one."""
    select = page.locator("#generation-form").get_by_label("Model")
    old_select = select.element_handle()
    select.select_option(value=model)
    page.wait_for_function("select => !select.isConnected", arg=old_select)


def generate(page, prompt: str, keys: str | None = None) -> Generation:
    """Type ``prompt`` in the bar, press Generate (or ``keys`` in the prompt box), and wait
    for its card."""
    form = page.locator("#generation-form")
    form.get_by_label("Prompt", exact=True).fill(prompt)
    if keys:
        form.get_by_label("Prompt", exact=True).press(keys)
    else:
        form.get_by_role("button", name="Generate").click()
    expect(page.locator("#gallery-cards > article", has_text=prompt)).to_have_count(1)
    return Generation.objects.get(prompt__text=prompt)


def card_of(page, generation: Generation):
    return page.locator(f"#generation-{generation.pk}")


@pytest.mark.parametrize("size", SIZES)
def test_a_new_member_goes_from_welcome_to_cancel_and_retry(
    one_slot_app, deepinfra, django_user_model, size
):
    app = one_slot_app
    ada = django_user_model.objects.create_user("ada", password="ada-password-1")
    older = [make_finished_generation(ada, f"An older harbour {n}") for n in range(2)]
    nina = django_user_model.objects.create_user("nina", password="nina-password-1")
    set_quota(nina, "1.00")

    context = app.browser.new_context(
        viewport=SIZES[size], base_url=app.base_url, has_touch=size == "phone"
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill("nina-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{app.base_url}/")
    expect(page.locator("#welcome")).to_contain_text("Welcome, nina")

    # Generate with an aspect preset: the card lands under the bar, in view; the image
    # replaces it.
    form = page.locator("#generation-form")
    pick_model(page, DEMO)
    form.get_by_label("Prompt", exact=True).fill("A paper boat on a puddle, overcast light")
    form.get_by_text("16:9", exact=True).click()
    form.get_by_role("button", name="Generate").click()
    card = page.locator("#gallery-cards > article").first
    expect(card).to_contain_text("A paper boat on a puddle")
    made = Generation.objects.get(prompt__text__startswith="A paper boat")
    expect(page.locator("#welcome")).to_have_count(0)  # its work is done: the card moves up
    page.wait_for_function(IN_VIEW, arg=f"#generation-{made.pk}")
    # Read together: the live stream may have just replaced the card (a detached one reads 0).
    card_top, bar_bottom = page.evaluate(
        """id => [document.getElementById(id).getBoundingClientRect().top,
                  document.getElementById("generation-form").getBoundingClientRect().bottom]""",
        f"generation-{made.pk}",
    )
    assert card_top >= bar_bottom
    assert (made.width, made.height) == (1024, 576)
    expect(card_of(page, made).locator("img.card__image")).to_be_visible(timeout=20_000)

    # On keyboard focus the tile shows its prompt, author, model and cost, star and remix.
    tile = card_of(page, made)
    assert tile.locator(".card__body").evaluate("e => getComputedStyle(e).opacity") == "0"
    tile.locator("a.card__image-link").focus()
    for part in (".card__body", ".card__actions"):
        page.wait_for_function(
            "e => getComputedStyle(e).opacity === '1'", arg=tile.locator(part).element_handle()
        )
    expect(tile.locator(".card__body")).to_contain_text("nina")
    expect(tile.locator(".card__actions")).to_contain_text("Remix")

    # The lightbox: fit to the viewport, zoom to 100 %, the next one in the gallery's order
    # by the arrow key (or a swipe on the phone), Esc back to the gallery.
    card_of(page, made).locator("a.card__image-link").click()
    expect(page).to_have_url(re.compile(rf"/generations/{made.pk}/\?"))
    picture = page.locator("dialog #detail img[data-zoom]").first
    page.wait_for_function(LOADED, arg=picture.element_handle())
    fitted, natural = picture.evaluate("img => [img.clientWidth, img.naturalWidth]")
    assert fitted <= SIZES[size]["width"]
    picture.click()
    expect(page.locator("dialog [data-image-nav]")).to_have_class(re.compile("is-zoomed"))
    assert picture.evaluate("img => img.clientWidth") == natural == 1024
    picture.click()  # back to fit
    if size == "phone":
        page.locator("dialog [data-image-nav]").evaluate(SWIPE_LEFT)
    else:
        page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"/generations/{older[1].pk}/\?"))
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"/generations/{older[0].pk}/\?"))
    page.keyboard.press("Escape")
    expect(page).to_have_url(f"{app.base_url}/")

    # Two DeepInfra jobs: the first runs (its answer held back), the second waits its turn.
    deepinfra.gate = threading.Event()
    pick_model(page, SCHNELL)
    running = generate(page, "A lighthouse in a storm")
    expect(card_of(page, running)).to_contain_text("Running", timeout=10_000)
    queued = generate(page, "A windmill at sunrise", keys="Meta+Enter")  # Cmd+Enter on a Mac
    expect(card_of(page, queued)).to_contain_text("Queued")
    held = Quota.objects.get(user=nina).reserved_usd
    assert held == running.estimated_cost_usd + queued.estimated_cost_usd > 0

    # Cancel the queued one: the confirmation says it is refunded in full, and it is.
    confirmations: list[str] = []
    page.once("dialog", lambda dialog: (confirmations.append(dialog.message), dialog.accept()))
    card_of(page, queued).get_by_role("button", name="Cancel").click()
    expect(card_of(page, queued)).to_contain_text("Cancelled · nothing charged")
    assert "refunded in full" in confirmations[0]
    queued.refresh_from_db()
    assert queued.status == Generation.Status.CANCELLED
    assert Quota.objects.get(user=nina).reserved_usd == running.estimated_cost_usd

    # The running one fails (the provider rejects the key): it says why and that the
    # reservation was refunded, and Retry makes a new generation with the same parameters.
    deepinfra.fault, deepinfra.fault_times = "401", 1
    deepinfra.gate.set()
    failed = card_of(page, running)
    expect(failed).to_contain_text("the provider rejected the API key", timeout=20_000)
    expect(failed).to_contain_text("was refunded")
    failed.get_by_role("button", name="Retry").click()
    again = page.locator("#gallery-cards > article").first
    expect(again).to_contain_text("A lighthouse in a storm")
    expect(again.locator("img.card__image")).to_be_visible(timeout=20_000)
    retried = Generation.objects.latest("id")
    assert retried.pk not in (running.pk, queued.pk)
    assert retried.form_values() == Generation.objects.get(pk=running.pk).form_values()

    # The cancelled job was never sent: DeepInfra saw the failed call and the retry only.
    prompts = [request.json()["prompt"] for request in deepinfra.requests]
    assert prompts == ["A lighthouse in a storm", "A lighthouse in a storm"]
    made.refresh_from_db()
    quota = Quota.objects.get(user=nina)
    assert retried.actual_cost_usd is not None and retried.actual_cost_usd > Decimal(0)
    assert quota.reserved_usd == 0
    assert quota.spent_usd == (made.actual_cost_usd or 0) + retried.actual_cost_usd
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    context.close()
