"""The route line of a best-price generation and the provider status page's call figures:
they fit a phone, pass axe-core in light and dark, and are screenshotted for review."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fluxweb.generations.models import Generation
from fluxweb.providerstatus.models import ProviderCall
from tests.e2e.test_image_first_ui import VIEWPORTS, audit, open_context
from tests.factories import make_finished_generation

ROUTE = [
    {"provider": "aimlapi", "label": "AIML API", "reason": "out of credits"},
    {"provider": "deepinfra", "label": "DeepInfra", "reason": ""},
]


@pytest.fixture
def routed(django_user_model):
    django_user_model.objects.create_user("ada", password="ada-password-1", is_staff=True)
    milo = django_user_model.objects.create_user("milo", password="milo-password-1")
    generation = make_finished_generation(milo, "A lighthouse on a cliff at dusk")
    Generation.objects.filter(pk=generation.pk).update(
        route=ROUTE, model="best-price/flux-1-schnell"
    )
    for latency, actual in ((1.2, Decimal("0.003")), (2.5, Decimal("0.003")), (9.0, None)):
        ProviderCall.objects.create(
            slug="deepinfra",
            model_id="deepinfra/flux-1-schnell",
            ok=actual is not None,
            latency_s=latency,
            estimated_usd=Decimal("0.002"),
            actual_usd=actual,
            reason="" if actual else "DeepInfra kept failing (HTTP 500)",
        )
    return generation.pk


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_route_and_call_figures_fit_and_pass_axe(app, routed, screenshot, viewport, scheme):
    problems = []
    pages = [
        ("gallery", "/", ("milo", "milo-password-1")),
        ("detail", f"/generations/{routed}/", ("milo", "milo-password-1")),
        ("provider-status", "/providers/status/", ("ada", "ada-password-1")),
    ]
    for name, path, who in pages:
        page = open_context(app.browser, app.base_url, viewport, scheme, who)
        page.goto(path)
        problems.extend(audit(page, f"{name} {viewport} {scheme}"))
        if name == "gallery":
            page.locator(".card").first.hover()
        if name in ("gallery", "detail"):
            assert "AIML API out of credits → DeepInfra" in page.content()
        else:
            assert "Use the reported rate" in page.content()
        screenshot(page, f"routing-{name}-{viewport}-{scheme}")
        page.context.close()
    assert not problems, problems
