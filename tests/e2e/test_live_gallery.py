"""A team member submits a prompt and the image lands live in the shared gallery."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fluxweb.gallery.queries import PAGE_SIZE
from fluxweb.generations.models import Generation
from tests.budget_factories import set_price
from tests.factories import make_generation

LOADED = "img => img.complete && img.naturalWidth > 0"  # visible is not yet decoded
T_REX = "A T-Rex relaxing on a beach, lying on a sun lounger and wearing sunglasses."


@pytest.fixture
def alice(django_user_model):
    django_user_model.objects.create_user("alice", password="alice-password-1")
    return "alice", "alice-password-1"


@pytest.fixture
def carol(django_user_model):
    django_user_model.objects.create_user("carol", password="carol-password-1")
    return "carol", "carol-password-1"


DEMO = "demo/placeholder"
SCHNELL = "deepinfra/flux-1-schnell"


def open_advanced(form) -> None:
    """Unfold the prompt bar's advanced options (exact size, steps, seed...) if folded."""
    folded = form.locator("details[data-advanced]:not([open]) > summary")
    if folded.count():
        folded.click()


def submit(page, model: str, width: str, height: str, prompt: str = T_REX) -> None:
    """Fill the prompt bar and generate; ``model`` is the model's id (its option's label
    carries the price for the size filled in)."""
    form = page.locator("#generation-form")  # the gallery's filter bar has its own "Model"
    form.get_by_label("Prompt", exact=True).fill(prompt)
    # Choosing a model re-renders the form's body with that model's limits: wait for it.
    old_select = form.get_by_label("Model").element_handle()
    form.get_by_label("Model").select_option(value=model)
    page.wait_for_function("select => !select.isConnected", arg=old_select)
    open_advanced(form)
    form.get_by_label("Width (px)").fill(width)
    form.get_by_label("Height (px)").fill(height)
    form.get_by_role("button", name="Generate").click()


@pytest.mark.parametrize(
    ("model", "width", "height"),
    [(DEMO, "640", "384"), (SCHNELL, "512", "320")],
)
def test_image_replaces_the_card_without_a_reload(
    app, alice, carol, deepinfra, screenshot, model, width, height
):
    deepinfra.latency = 2.5  # long enough to watch the card run
    page = app.login(*alice)
    teammate = app.login(*carol)
    page.evaluate("window.notReloaded = true")

    submit(page, model, width, height)

    card = page.locator("#gallery-cards article").first
    expect(card).to_contain_text(T_REX)
    expect(card).to_contain_text("alice")
    if model == SCHNELL:
        status = card.locator(".card__status")
        expect(status).to_contain_text("Running", timeout=10_000)
        expect(status.locator(".card__elapsed")).to_have_text(
            re.compile(r"^[1-9]\d* s$"), timeout=5_000
        )
    image = card.locator("img.card__image")
    expect(image).to_be_visible(timeout=20_000)
    assert page.evaluate("window.notReloaded") is True
    # The gallery shows a thumbnail (longest side ≤ 384 px) with the original's proportions.
    page.wait_for_function(LOADED, arg=image.element_handle())
    thumb_width, thumb_height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert max(thumb_width, thumb_height) <= 384
    assert abs(thumb_width / thumb_height - int(width) / int(height)) < 0.02
    expect(card).to_contain_text(f"{width}×{height}")

    # The teammate's open gallery got the same card, image included, with no reload.
    teammate_card = teammate.locator("#gallery-cards article").first
    expect(teammate_card).to_contain_text(T_REX)
    expect(teammate_card.locator("img.card__image")).to_be_visible(timeout=20_000)
    screenshot(page, "gallery-" + ("deepinfra" if model == SCHNELL else "demo"))

    # The detail page serves the original, of the requested size.
    card.locator("a.card__image-link").first.click()
    original = page.locator(".detail__image img").first
    expect(original).to_be_visible()
    page.wait_for_function(LOADED, arg=original.element_handle())
    assert original.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [
        int(width),
        int(height),
    ]


def test_failure_shows_the_reason_in_plain_words(app, alice, deepinfra):
    deepinfra.fault = "401"
    page = app.login(*alice)
    submit(page, SCHNELL, "512", "512")
    card = page.locator("#gallery-cards article").first
    expect(card).to_contain_text("Failed: the provider rejected the API key", timeout=20_000)


def test_server_validation_errors_show_in_the_form(app, alice):
    """Blank-looking prompts pass the browser's `required` check; the server refuses them."""
    page = app.login(*alice)
    submit(page, DEMO, "512", "512", prompt="   ")
    expect(page.locator("#generation-form")).to_contain_text("This field is required.")
    expect(page.get_by_label("Width (px)")).to_have_value("512")
    expect(page.locator("#gallery-cards article")).to_have_count(0)


def test_a_slow_submit_response_does_not_duplicate_a_card_the_stream_delivered(app, alice):
    """The stream can beat the submit response: the late queued card must not come back."""
    page = app.login(*alice)

    def slow(route):
        response = route.fetch()
        page.wait_for_timeout(3000)  # the worker finishes and the stream delivers meanwhile
        route.fulfill(response=response)

    page.route("**/generations/new/", slow)
    submit(page, DEMO, "256", "256")
    page.wait_for_timeout(4500)
    cards = page.locator("#gallery-cards article.card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_class(re.compile(r"\bcard--succeeded\b"))


def test_a_deleted_generation_leaves_every_open_gallery(app, alice, carol):
    page = app.login(*alice)
    teammate = app.login(*carol)
    teammate.evaluate("window.notReloaded = true")
    submit(page, DEMO, "256", "256", prompt="A heron in the fog, to be deleted")
    teammate_card = teammate.locator("#gallery-cards article", has_text="A heron in the fog")
    expect(teammate_card.locator("img.card__image")).to_be_visible(timeout=20_000)

    page.locator("#gallery-cards article").first.get_by_role("link", name="Details").click()
    page.locator("summary", has_text="Delete").click()
    page.get_by_role("button", name="Delete permanently").click()
    page.wait_for_url(f"{app.base_url}/")

    expect(teammate_card).to_have_count(0, timeout=10_000)
    assert teammate.evaluate("window.notReloaded") is True


def test_a_change_to_an_older_generation_not_on_the_page_does_not_jump_to_the_top(
    app, alice, django_user_model
):
    """Only new generations are inserted on top; an old one pinned by an admin stays where it
    belongs."""
    author = django_user_model.objects.get(username=alice[0])
    generations = [
        make_generation(
            author, f"Old lighthouse {i}", status=Generation.Status.FAILED, error="test"
        )
        for i in range(PAGE_SIZE + 1)
    ]
    oldest, newest = generations[0], generations[-1]
    page = app.login(*alice)
    cards = page.locator("#gallery-cards > article.card")
    expect(cards).to_have_count(PAGE_SIZE)

    oldest.set_pinned(True)  # off this page: its card must not be inserted
    newest.set_pinned(True)  # on this page: seeing its badge proves the stream delivered both
    expect(page.locator(f"#generation-{newest.pk} .badge--pinned")).to_be_visible(timeout=10_000)
    expect(page.locator(f"#generation-{oldest.pk}")).to_have_count(0)
    expect(cards).to_have_count(PAGE_SIZE)
    expect(cards.first).to_have_id(f"generation-{newest.pk}")


@pytest.mark.parametrize(
    ("role", "name"), [("link", "Details"), ("button", "Favourite")], ids=["link", "star"]
)
def test_a_card_updated_while_the_keyboard_is_on_it_keeps_the_focus(
    app, alice, django_user_model, role, name
):
    """A streamed card replaces the one shown; a keyboard user on one of its controls stays
    on that control (the star's form is carried over into the new card) instead of being
    sent back to the top of the page."""
    author = django_user_model.objects.get(username=alice[0])
    generation = make_generation(
        author, "A lighthouse at dusk", status=Generation.Status.FAILED, error="test"
    )
    page = app.login(*alice)
    card = page.locator(f"#generation-{generation.pk}")
    card.get_by_role(role, name=name).focus()
    old_card = card.element_handle()

    generation.set_pinned(True)
    page.wait_for_function("card => !card.isConnected", arg=old_card, timeout=10_000)
    expect(card.locator(".badge--pinned")).to_be_visible()
    expect(card.get_by_role(role, name=name)).to_be_focused()


def test_after_a_submit_the_form_keeps_what_was_typed_and_shows_the_budget_left(app, alice):
    """The submit answers the card and the budget line, not the form: nothing typed is lost.
    After errors, the next good submit clears them and still keeps the values."""
    set_price("demo/placeholder", usd="0.25")  # per image; a new member has $5.00 a month
    page = app.login(*alice)
    expect(page.locator("#budget-remaining")).to_contain_text("Left: $5.00 of $5.00")
    submit(page, DEMO, "640", "384", prompt="   ")
    form = page.locator("#generation-form")
    expect(form).to_contain_text("This field is required.")
    form.get_by_label("Prompt", exact=True).fill(T_REX)
    open_advanced(form)
    form.get_by_label("Seed").fill("4242")
    form.get_by_label("Images").fill("2")
    form.get_by_role("button", name="Generate").click()

    expect(page.locator("#gallery-cards article").first).to_contain_text(T_REX)
    expect(page.locator("#budget-remaining")).to_contain_text("Left: $4.50 of $5.00")
    expect(form).not_to_contain_text("This field is required.")
    for label, value in (
        ("Prompt", T_REX),
        ("Width (px)", "640"),
        ("Height (px)", "384"),
        ("Seed", "4242"),
        ("Images", "2"),
    ):
        expect(form.get_by_label(label, exact=True)).to_have_value(value)
    expect(form.get_by_label("Model")).to_have_value("demo/placeholder")

    # Again, without errors shown this time: the form in the page is left as it is.
    form.get_by_label("Prompt", exact=True).fill("A second prompt, typed but not reset")
    form.get_by_role("button", name="Generate").click()
    expect(page.locator("#budget-remaining")).to_contain_text("Left: $4.00 of $5.00")
    expect(page.locator("#gallery-cards article")).to_have_count(2)
    expect(form.get_by_label("Prompt", exact=True)).to_have_value(
        "A second prompt, typed but not reset"
    )
    expect(form.get_by_label("Seed", exact=True)).to_have_value("4242")
