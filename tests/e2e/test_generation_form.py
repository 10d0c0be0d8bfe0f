"""The generation form in a browser: a value typed while the form is re-rendered for
another model survives the re-render and is what the generation is made with; a submit
made meanwhile waits for the re-render, so no answer computed before its reservation can
land after it and show the budget as it was before."""

from __future__ import annotations

import re
import time
from decimal import Decimal

from playwright.sync_api import Page, Route, expect

from fluxweb.budgets.models import Hold
from fluxweb.budgets.teams import create_team
from fluxweb.generations.models import Generation
from tests.budget_factories import set_price
from tests.e2e.test_live_gallery import SCHNELL, T_REX, alice, open_advanced  # noqa: F401 (fixture)


def test_width_typed_while_the_model_form_loads_is_kept(app, alice, deepinfra):  # noqa: F811
    page = app.login(*alice)
    held = []
    # Hold the form re-render the model change asks for, as a slow network would.
    page.route(re.compile(r"/generations/form/"), lambda route: held.append(route))
    form = page.locator("#generation-form")
    form.get_by_label("Prompt", exact=True).fill(T_REX)
    open_advanced(form)  # and it stays open across the re-render
    old_width = form.get_by_label("Width (px)").element_handle()
    form.get_by_label("Model").select_option(value=SCHNELL)
    wait_for(page, held, "the model change asked for no form")

    form.get_by_label("Width (px)").fill("768")  # typed while the request is in flight
    held[0].continue_()
    page.wait_for_function("field => !field.isConnected", arg=old_width)  # the body swapped

    expect(form.get_by_label("Model")).to_have_value(re.compile("schnell"))
    expect(form.get_by_label("Width (px)")).to_have_value("768")
    expect(form.get_by_label("Height (px)")).to_have_value("1024")  # untouched: as sent
    form.get_by_role("button", name="Generate").click()
    expect(page.locator("#gallery-cards article.card")).to_have_count(1)
    generation = Generation.objects.get()
    made = (generation.model, generation.width, generation.height)
    assert made == ("deepinfra/flux-1-schnell", 768, 1024)


def wait_for(page: Page, held: list[Route], why: str) -> None:
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, why


def test_a_submit_made_while_the_model_form_loads_waits_for_it(
    app,
    alice,  # noqa: F811
    django_user_model,
):
    """Seen on a loaded machine: the model's re-render, computed before the submit's
    reservation, landed after the submit's answer and put back the budget line as it was
    before ("Marketing: Left: $1.00" after a $0.01 request charged to that team)."""
    set_price(usd="0.01")
    team = create_team("Marketing", Decimal("1.00"))
    team.members.add(django_user_model.objects.get(username=alice[0]))
    page = app.login(*alice)
    form = page.locator("#generation-form")
    form.get_by_label("Charge to").select_option(label="Marketing ($1.00 left)")
    expect(page.locator("#budget-remaining")).to_contain_text("Marketing: Left: $1.00")
    held: list[Route] = []
    page.route(re.compile(r"/generations/form/"), lambda route: held.append(route))
    form.get_by_label("Model").select_option(value="demo/placeholder")
    wait_for(page, held, "the model change asked for no form")
    stale = held[0].fetch()  # the re-render, computed before any reservation
    form.get_by_label("Prompt", exact=True).fill(T_REX)
    form.get_by_role("button", name="Generate").click()

    page.wait_for_timeout(500)
    assert not Generation.objects.exists()  # the submit waits for the re-render

    held[0].fulfill(response=stale)
    expect(page.locator("#gallery-cards article.card")).to_have_count(1)
    expect(page.locator("#budget-remaining")).to_contain_text("Marketing: Left: $0.99")
    page.wait_for_timeout(500)  # any later answer has landed by now
    expect(page.locator("#budget-remaining")).to_contain_text("Marketing: Left: $0.99")
    expect(form.get_by_label("Charge to")).to_have_value("Marketing")
    generation = Generation.objects.get()
    assert (generation.model, generation.prompt.text) == ("demo/placeholder", T_REX)
    assert Hold.objects.get().team == team
