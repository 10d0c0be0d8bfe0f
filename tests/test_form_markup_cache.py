"""The generation form's fields are cached for the plain unbound form only
(GenerationForm.markup_key, generations/_form.html)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string

from fluxweb.generations.forms import GenerationForm

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_unbound_form_fields_come_from_the_cache_unchanged():
    form = GenerationForm()
    assert form.markup_key is not None and form.markup_key == GenerationForm().markup_key
    fresh = render_to_string("generations/_fields.html", {"form": form})
    first = render_to_string("generations/_form.html", {"form": GenerationForm(), "defer_estimate": True})
    second = render_to_string("generations/_form.html", {"form": GenerationForm(), "defer_estimate": True})
    assert first == second
    assert fresh.split("\n", 1)[1].strip() in first  # the same markup, not a stale or partial copy
    for needle in ('id="id_prompt"', 'for="id_seed"', 'id="id_seed_helptext"', 'aria-describedby="id_seed_helptext"'):
        assert needle in first


def test_prefilled_and_bound_forms_are_never_cached():
    assert GenerationForm(initial={"prompt": "a remix"}).markup_key is None
    assert GenerationForm({"prompt": "x"}).markup_key is None
    page = render_to_string("generations/_form.html", {"form": GenerationForm(initial={"prompt": "a remix"})})
    assert "a remix" in page
    # The cached plain form did not pick up the remix's prompt, nor the remix the plain one.
    render_to_string("generations/_form.html", {"form": GenerationForm()})
    assert "a remix" not in render_to_string("generations/_form.html", {"form": GenerationForm()})
    bound = GenerationForm({"prompt": "", "model": "nope"})
    bound.is_valid()
    assert 'role="alert"' in render_to_string("generations/_form.html", {"form": bound})


def test_the_key_follows_the_enabled_models(settings):
    before = GenerationForm().markup_key
    settings.DEEPINFRA_API_KEY = "test-key"  # the registry is rebuilt on setting_changed
    after = GenerationForm()
    assert after.markup_key != before
    html = render_to_string("generations/_form.html", {"form": after})
    assert "deepinfra/flux-1-schnell" in html
