"""The generation form in a browser: a value typed while the form is re-rendered for
another model survives the re-render and is what the generation is made with."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from fluxweb.generations.models import Generation
from tests.e2e.test_live_gallery import SCHNELL, T_REX, alice, open_advanced  # noqa: F401 (fixture)


def test_width_typed_while_the_model_form_loads_is_kept(app, alice, deepinfra):  # noqa: F811
    page = app.login(*alice)
    held = []
    # Hold the form re-render the model change asks for, as a slow network would.
    page.route(re.compile(r"/generations/form/"), lambda route: held.append(route))
    form = page.locator("#generation-form")
    form.get_by_label("Prompt", exact=True).fill(T_REX)
    open_advanced(form)  # and it stays open across the re-render
    old_form = form.element_handle()
    form.get_by_label("Model").select_option(value=SCHNELL)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the model change asked for no form"

    form.get_by_label("Width (px)").fill("768")  # typed while the request is in flight
    held[0].continue_()
    page.wait_for_function("form => !form.isConnected", arg=old_form)

    expect(form.get_by_label("Model")).to_have_value(re.compile("schnell"))
    expect(form.get_by_label("Width (px)")).to_have_value("768")
    expect(form.get_by_label("Height (px)")).to_have_value("1024")  # untouched: as sent
    form.get_by_role("button", name="Generate").click()
    expect(page.locator("#gallery-cards article.card")).to_have_count(1)
    generation = Generation.objects.get()
    made = (generation.model, generation.width, generation.height)
    assert made == ("deepinfra/flux-1-schnell", 768, 1024)
