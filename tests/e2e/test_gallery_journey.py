"""Issue 5's "done when", in a browser: a member finds a teammate's image by a word of its
prompt, filters to one model, stars it, opens it, downloads it, remixes it with the same
seed and gets the same picture (demo provider), and deletes their own."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from fluxweb.generations.models import Generation
from tests.e2e.test_live_gallery import alice, carol, submit  # noqa: F401 (fixtures)

DEMO = "Demo (offline) placeholder, not FLUX"
SCHNELL = "FLUX.1 [schnell] · DeepInfra"
# The prompt bar picks models by id (their labels carry the price for the size).
DEMO_ID = "demo/placeholder"
SCHNELL_ID = "deepinfra/flux-1-schnell"
TEAPOT = "A copper teapot on a mossy stone, studio light"


def wait_for_images(page, count: int) -> None:
    expect(page.locator("#gallery-cards article.card--succeeded")).to_have_count(
        count, timeout=20_000
    )


def settled(page) -> None:
    """Wait until htmx has finished every request and swap (new content is live)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_find_filter_star_open_download_remix_and_delete(app, alice, carol, deepinfra):  # noqa: F811
    teammate = app.login(*carol)
    for count, (model, height, prompt) in enumerate(
        [
            (DEMO_ID, "192", TEAPOT),
            (SCHNELL_ID, "256", "A copper teapot in the rain, watercolour"),
            (DEMO_ID, "256", "A lighthouse at dusk"),
        ],
        start=1,
    ):
        submit(teammate, model, "256", height, prompt=prompt)
        # The answer brings a fresh form: wait for it before filling in the next one.
        expect(teammate.locator("#gallery-cards article.card")).to_have_count(count)
        expect(teammate.locator("#generation-form button[type=submit]")).to_be_enabled()
    wait_for_images(teammate, 3)
    original = Generation.objects.select_related("prompt").get(prompt__text=TEAPOT)

    page = app.login(*alice)
    cards = page.locator("#gallery-cards article.card")
    expect(cards).to_have_count(3)

    # Find it by a word of its prompt; the filters live in the URL.
    page.get_by_label("Search prompts").fill("teapot")
    expect(cards).to_have_count(2)
    expect(page).to_have_url(re.compile(r"[?&]q=teapot"))
    page.locator(
        "#filters summary", has_text="Filters"
    ).click()  # the filters beside the search fold away
    page.locator("#filter-model").select_option(label=DEMO)
    expect(cards).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]model=demo"))
    card = cards.first
    expect(card).to_contain_text(TEAPOT)
    expect(card).to_contain_text("carol")

    # Star it (for alice only).
    settled(page)
    # The search box still has the focus: clicking the star must not also refresh the results.
    with page.expect_request(re.compile(r"/favourite/")):
        card.locator(".star").click()
    expect(card.locator(".star")).to_have_attribute("aria-pressed", "true")

    # Open it and download the original under a meaningful name.
    card.get_by_role("link", name="Details").click()
    expect(page).to_have_url(re.compile(rf"/generations/{original.pk}/"))
    expect(page.get_by_role("button", name="Delete permanently")).to_have_count(0)  # not hers
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download original").click()
    download = download_info.value
    assert (
        download.suggested_filename
        == f"a-copper-teapot-on-a-mossy-stone-studio-light-{original.pk}-1.png"
    )
    original_bytes = download.path().read_bytes()

    # Remix it: every parameter, the seed included, then generate it again as is.
    page.locator("#detail").get_by_role("link", name="Remix").click()
    form = page.locator("#generation-form")
    expect(form.get_by_label("Prompt", exact=True)).to_have_value(TEAPOT)
    expect(form.get_by_label("Seed")).to_have_value(str(original.seed))
    expect(form.get_by_label("Width (px)")).to_have_value("256")
    expect(form.get_by_label("Height (px)")).to_have_value("192")
    form.get_by_role("button", name="Generate").click()
    remix_card = page.locator("#gallery-cards article.card", has_text="alice").first
    expect(remix_card.locator("img.card__image")).to_be_visible(timeout=20_000)
    remix = Generation.objects.filter(author__username="alice").get()
    assert remix.seed == original.seed
    image_url = f"{app.base_url}/images/{remix.images.get().pk}/download/"
    assert page.request.get(image_url).body() == original_bytes  # the same picture, byte for byte

    # Delete her own remix: gone from the gallery and from the database.
    remix_card.get_by_role("link", name="Details").click()
    page.locator("summary", has_text="Delete").click()
    page.get_by_role("button", name="Delete permanently").click()
    page.wait_for_url(f"{app.base_url}/")
    expect(page.locator(f"#generation-{remix.pk}")).to_have_count(0)
    assert not Generation.objects.filter(pk=remix.pk).exists()
    assert Generation.objects.filter(pk=original.pk).exists()
