"""Safety flags (issue 17 §3): the providers' own per-image flags are recorded, flagged
images are blurred for everyone with a reveal button and a "Flagged" filter, and an admin
can force AIML's safety checker on (seeds 000/004, shared/providers.md §1.2, §4.2)."""

from decimal import Decimal

import pytest
from django.test import Client

from fluxweb.generations.forms import GenerationForm
from fluxweb.generations.models import Generation
from fluxweb.generations.running import build_request, run_generation
from fluxweb.generations.safety import set_safety_forced
from fluxweb.providers.aimlapi import AIMLAPIProvider
from fluxweb.providers.base import GenerationRequest
from fluxweb.providers.deepinfra import DeepInfraProvider
from fluxweb.providers.options import nsfw_flags
from fluxweb.providers.registry import get_registry
from tests.emulators import aimlapi as aimlapi_emulator
from tests.emulators import deepinfra as deepinfra_emulator
from tests.factories import make_generation

HOSTILE = ["yes", [1], [True, True], [None], {"0": True}, 7, [], [[True]]]


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_user(
        "root", "root@example.com", "root-password-1", is_staff=True
    )


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def aiml_request(provider, width=512, height=384, **fields):
    model = {m.id: m for m in provider.models()}["aimlapi/flux-schnell"]
    return GenerationRequest(
        model=model, prompt="a beach", width=width, height=height, seed=5, **fields
    )


def aiml_generation(user, **overrides):
    fields = {
        "provider": "aimlapi",
        "model": "aimlapi/flux-schnell",
        "width": 512,
        "height": 384,
        "seed": 11,
        "estimated_cost_usd": Decimal("0.004"),
    }
    fields.update(overrides)
    return make_generation(user, "a T-Rex on a sun lounger", **fields)


# --- Provider answers ---------------------------------------------------------------------


def test_aiml_has_nsfw_concepts_becomes_the_result_flags(aimlapi):
    aimlapi.nsfw = [True]
    provider = AIMLAPIProvider(aimlapi_emulator.API_KEY, aimlapi.base_url)
    assert provider.generate(aiml_request(provider)).nsfw == [True]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_aiml_flags_are_ignored_not_an_error(aimlapi, value):
    aimlapi.nsfw = value
    provider = AIMLAPIProvider(aimlapi_emulator.API_KEY, aimlapi.base_url)
    result = provider.generate(aiml_request(provider))
    assert result.nsfw is None and len(result.images) == 1


def test_deepinfra_nsfw_content_detected_becomes_the_result_flags(deepinfra):
    deepinfra.nsfw = [False, True]
    provider = DeepInfraProvider(deepinfra_emulator.API_KEY, deepinfra.base_url)
    model = {m.id: m for m in provider.models()}["deepinfra/flux-1-schnell"]
    request = GenerationRequest(model=model, prompt="x", width=256, height=256, num_images=2)
    assert provider.generate(request).nsfw == [False, True]
    deepinfra.nsfw = "true"
    assert provider.generate(request).nsfw is None


def test_nsfw_flags_keeps_only_a_list_of_booleans_of_the_right_length():
    assert nsfw_flags([False, True], 2) == [False, True]
    assert nsfw_flags([False, True], 1) is None
    assert nsfw_flags([0, 1], 2) is None
    assert nsfw_flags(None, 1) is None


def test_aiml_sends_the_safety_checker_and_preset_names_as_the_seed_documents(aimlapi):
    provider = AIMLAPIProvider(aimlapi_emulator.API_KEY, aimlapi.base_url)
    provider.generate(aiml_request(provider, options={"enable_safety_checker": False}))
    provider.generate(aiml_request(provider, width=1024, height=768))
    provider.generate(aiml_request(provider, width=576, height=1024))
    sent = [request.json() for request in aimlapi.requests if request.method == "POST"]
    assert sent[0]["enable_safety_checker"] is False
    assert sent[0]["image_size"] == {"width": 512, "height": 384}
    assert "enable_safety_checker" not in sent[1]  # nothing chosen: AIML's default (true)
    assert sent[1]["image_size"] == "landscape_4_3"
    assert sent[2]["image_size"] == "portrait_16_9"


# --- Stored flags, blurred cards, the filter ----------------------------------------------


@pytest.mark.django_db
def test_flagged_answer_gives_a_blurred_thumbnail_with_a_reveal_button(
    member_client, member, aimlapi
):
    aimlapi.nsfw = [True]
    flagged = run_generation(aiml_generation(member).pk)
    aimlapi.nsfw = [False]
    clean = run_generation(aiml_generation(member, seed=12).pk)
    assert flagged.status == clean.status == "succeeded"
    assert [image.nsfw_flagged for image in flagged.images.all()] == [True]
    assert [image.nsfw_flagged for image in clean.images.all()] == [False]

    page = member_client.get("/").content.decode()
    card = page.split(f'id="generation-{flagged.pk}"')[1].split("</article>")[0]
    assert "card__image flagged-image" in card and "data-flag-scope" in card
    assert 'data-flag-reveal aria-pressed="false"' in card
    assert "Flagged by AIML API" in card
    other = page.split(f'id="generation-{clean.pk}"')[1].split("</article>")[0]
    assert "flagged-image" not in other and "data-flag-reveal" not in other

    detail = member_client.get(f"/generations/{flagged.pk}/").content.decode()
    assert 'class="flagged-image"' in detail and "data-flag-reveal" in detail
    assert "Flagged by AIML API" in detail


@pytest.mark.django_db
def test_flagged_filter_lists_only_generations_with_a_flagged_image(member_client, member, aimlapi):
    aimlapi.nsfw = [True]
    flagged = run_generation(aiml_generation(member).pk)
    aimlapi.nsfw = [False]
    clean = run_generation(aiml_generation(member, seed=12).pk)
    page = member_client.get("/", {"flagged": "on"}).content.decode()
    assert f'id="generation-{flagged.pk}"' in page
    assert f'id="generation-{clean.pk}"' not in page
    assert 'name="flagged"' in member_client.get("/").content.decode()


# --- The policy ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_may_turn_the_checker_off_unless_an_admin_forced_it(member, admin, aimlapi):
    spec = get_registry().models["aimlapi/flux-schnell"]
    generation = aiml_generation(member, options={"enable_safety_checker": False})
    assert build_request(generation, spec).options == {"enable_safety_checker": False}
    set_safety_forced(True, admin)
    # Stored before the policy changed: the worker still sends it on.
    assert build_request(generation, spec).options == {"enable_safety_checker": True}


@pytest.mark.django_db
def test_forced_checker_is_shown_checked_and_locked_and_cannot_be_posted_off(admin, aimlapi):
    data = {"prompt": "a cat", "model": "aimlapi/flux-schnell", "width": 512, "height": 384}
    data["num_images"] = 1
    unforced = GenerationForm(data)  # the box left unchecked: off
    assert unforced.is_valid(), unforced.errors
    assert unforced.cleaned_data["options"] == {"enable_safety_checker": False}
    set_safety_forced(True, admin)
    form = GenerationForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["options"] == {"enable_safety_checker": True}
    html = str(GenerationForm(initial={"model": "aimlapi/flux-schnell"})["enable_safety_checker"])
    assert "checked" in html and "disabled" in html


@pytest.mark.django_db
def test_env_setting_is_the_default_until_an_admin_sets_the_policy(settings, admin, aimlapi):
    from fluxweb.generations.safety import safety_forced

    settings.FLUXWEB_FORCE_SAFETY_CHECKER = True
    assert safety_forced() is True
    set_safety_forced(False, admin)
    assert safety_forced() is False


@pytest.mark.django_db
def test_only_admins_change_the_policy_without_a_restart(admin_client, member_client, aimlapi):
    assert member_client.get("/settings/safety/").status_code == 403
    forced = {"force_safety_checker": "on"}
    assert member_client.post("/settings/safety/", forced).status_code == 403
    page = admin_client.get("/settings/safety/").content.decode()
    assert "Always use the provider's safety checker" in page
    assert "FLUX.1 [schnell] · AIML API" in page
    response = admin_client.post("/settings/safety/", {"force_safety_checker": "on"})
    assert response.status_code == 302
    form_html = admin_client.get("/generations/form/", {"model": "aimlapi/flux-schnell"})
    assert "An admin requires the provider" in form_html.content.decode()
    admin_client.post("/settings/safety/", {})
    form_html = admin_client.get("/generations/form/", {"model": "aimlapi/flux-schnell"})
    assert "An admin requires the provider" not in form_html.content.decode()


@pytest.mark.django_db
def test_forced_generation_sends_the_checker_to_aiml(member, admin, aimlapi):
    set_safety_forced(True, admin)
    generation = run_generation(
        aiml_generation(member, options={"enable_safety_checker": False}).pk
    )
    assert generation.status == Generation.Status.SUCCEEDED, generation.error
    (sent,) = [request.json() for request in aimlapi.requests if request.method == "POST"]
    assert sent["enable_safety_checker"] is True
