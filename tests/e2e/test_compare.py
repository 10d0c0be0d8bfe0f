"""Issue 17's compare, in a browser: a member compares [schnell] on three hosts and [dev] on
one with two seeds in one click, sees one estimate before submitting, and watches the grid
fill with costs and latencies; the wall shows the batch as one card. The compare form and
the grid fit a phone without sideways scrolling and pass axe, light and dark."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from fluxweb.generations.models import Batch
from tests.budget_factories import set_price
from tests.e2e.conftest import App
from tests.e2e.test_image_first_ui import audit, open_context
from tests.processes import app_env, web_server, worker

MODELS = {
    "deepinfra/flux-1-schnell": "0.01",
    "aimlapi/flux-schnell": "0.02",
    "segmind/flux-schnell": "0.03",
    "deepinfra/flux-1-dev": "0.04",
}
PROMPT = "A red kite over green hills, morning light"


@pytest.fixture
def hosts_app(browser, deepinfra, aimlapi, segmind, tmp_path) -> Iterator[App]:
    """fluxweb (uvicorn + worker) with DeepInfra, AIML and Segmind on their emulators."""
    env = app_env(**deepinfra.env, **aimlapi.env, **segmind.env)
    with worker(env, tmp_path / "worker.log"), web_server(env, tmp_path / "web.log") as base_url:
        yield App(base_url, browser)


@pytest.fixture
def member(django_user_model):
    django_user_model.objects.create_user("mina", password="mina-password-1")
    return "mina", "mina-password-1"


def test_compare_three_hosts_and_dev_with_two_seeds_in_one_click(hosts_app, member, screenshot):
    for model_id, usd in MODELS.items():
        set_price(model_id, usd)
    page = open_context(hosts_app.browser, hosts_app.base_url, "desktop", "light", member)

    # From the prompt bar: the prompt typed so far goes along.
    page.locator("#generation-form").get_by_label("Prompt", exact=True).fill(PROMPT)
    page.locator("#generation-form").get_by_role("link", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/generations/compare/\?prompt="))
    form = page.locator("#compare-form")
    expect(form.get_by_label("Prompt")).to_have_value(PROMPT)

    for model_id in MODELS:
        form.locator(f"input[name=models][value='{model_id}']").check()
    form.get_by_label("Seeds").fill("1, 2")
    form.get_by_label("Width (px)").fill("512")
    form.get_by_label("Height (px)").fill("512")
    # One estimate for the whole batch before submitting: (0.01+0.02+0.03+0.04) × 2.
    expect(page.locator("#compare-estimate .estimate-line output")).to_have_text("$0.20")
    assert not audit(page, "compare form")
    screenshot(page, "compare-form-desktop-light")

    form.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/generations/batches/\d+/$"))
    expect(page.get_by_role("heading", name="Compare 4×2")).to_be_visible()
    grid = page.locator("#batch-grid")
    expect(grid.locator(".batch-cell--succeeded")).to_have_count(8, timeout=30_000)
    expect(grid).to_contain_text("8 of 8 done")
    expect(grid.locator("thead th")).to_have_text(["Model · host", "Seed 1", "Seed 2"])
    rows = grid.locator("tbody th")
    expect(rows).to_have_count(4)
    for cell in grid.locator(".batch-cell").all():
        expect(cell.locator("dd").nth(2)).to_have_text(re.compile(r"^\d+\.\d s$"))  # latency
        expect(cell.locator("img")).to_be_visible()
    expect(grid.locator(".star").first).to_be_visible()  # each image can be starred
    assert not audit(page, "batch grid")
    screenshot(page, "compare-grid-desktop-light")

    batch = Batch.objects.get()
    page.goto("/")
    cards = page.locator("#gallery-cards article.card")
    expect(cards).to_have_count(1)
    expect(cards.first.locator(".card__media")).to_contain_text("Compare 4×2")  # not only on hover
    expect(cards.first.get_by_role("link", name="Compare 4×2")).to_have_attribute(
        "href", f"/generations/batches/{batch.pk}/"
    )
    screenshot(page, "compare-wall-card-desktop-light")

    for viewport in ("phone", "desktop"):
        for scheme in ("light", "dark"):
            other = open_context(hosts_app.browser, hosts_app.base_url, viewport, scheme, member)
            problems = []
            for name, path in (
                ("compare-prompt-bar", "/"),
                ("compare-form", f"/generations/compare/?prompt={PROMPT}"),
                ("compare-grid", f"/generations/batches/{batch.pk}/"),
            ):
                other.goto(path)
                problems += audit(other, f"{name} {viewport} {scheme}")
                screenshot(other, f"{name}-{viewport}-{scheme}")
            other.context.close()
            assert not problems, "\n".join(problems)
