"""Submitting from the browser: login, validation, enqueueing, HTMX and plain responses."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from fluxweb.generations.models import Generation

pytestmark = pytest.mark.django_db

FORM = {"prompt": "A T-Rex relaxing on a beach", "model": "demo/placeholder", "width": "512",
        "height": "384", "num_inference_steps": "4", "num_images": "2", "seed": ""}


@pytest.mark.parametrize(
    "url",
    ["/", "/generations/form/", "/generations/estimate/", "/gallery/events/", "/gallery/cards/1/", "/images/1/"],
)
def test_every_page_needs_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_submit_needs_login(client):
    response = client.post("/generations/new/", FORM)
    assert response.status_code == 302 and Generation.objects.count() == 0


def test_home_shows_the_form_with_labels(member_client):
    response = member_client.get("/")
    html = response.content.decode()
    for field in ("prompt", "model", "width", "height", "num_inference_steps", "seed", "num_images"):
        assert f'<label for="id_{field}">' in html
    assert "Demo (offline) placeholder, not FLUX" in html


def test_htmx_submit_queues_the_generation_and_answers_its_card(member, member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    generation = Generation.objects.get()
    assert (generation.author, generation.status, generation.num_images) == (member, "queued", 2)
    assert generation.prompt.text == "A T-Rex relaxing on a beach"
    assert generation.seed is not None and 0 <= generation.seed < 2**31  # blank seed → recorded random seed
    html = response.content.decode()
    assert f'id="generation-{generation.pk}"' in html and "Queued" in html
    assert 'hx-swap-oob="outerHTML:#generation-form"' in html
    task = DBTaskResult.objects.get()
    assert task.task_path == "fluxweb.generations.tasks.generate_images"
    assert task.args_kwargs["args"] == [generation.pk]


def test_task_is_enqueued_only_on_commit(member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
    assert DBTaskResult.objects.count() == 0 and len(callbacks) == 1


def test_chosen_seed_is_kept(member_client):
    member_client.post("/generations/new/", {**FORM, "seed": "12345"}, HTTP_HX_REQUEST="true")
    assert Generation.objects.get().seed == 12345


def test_invalid_htmx_submit_shows_errors_and_enqueues_nothing(member_client):
    response = member_client.post("/generations/new/", {**FORM, "width": "99999", "prompt": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#generation-form" and response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert "This field is required." in html and "Width (px) must be 64–2048" in html
    assert 'value="99999"' in html  # nothing the user typed is lost
    assert Generation.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_plain_submit_redirects_home_and_errors_rerender_the_page(member_client):
    response = member_client.post("/generations/new/", FORM)
    assert response.status_code == 302 and response["Location"] == reverse("gallery:home")
    response = member_client.post("/generations/new/", {**FORM, "num_images": "9"})
    assert response.status_code == 400
    assert "Images must be 1–4" in response.content.decode()
    assert Generation.objects.count() == 1


def test_estimate_partial_follows_the_fields(member_client, deepinfra):
    response = member_client.get("/generations/estimate/", {"model": "deepinfra/flux-1-schnell", "width": "1024",
                                                             "height": "1024", "num_inference_steps": "4", "num_images": "3"})
    assert 'id="estimate"' in response.content.decode()
    assert "$0.006<" in response.content.decode()
    response = member_client.get("/generations/estimate/", {"model": "deepinfra/flux-1-schnell", "width": "-5"})
    assert "check the fields" in response.content.decode()


def test_switching_model_rerenders_form_with_its_limits_and_defaults(member_client, deepinfra):
    response = member_client.get("/generations/form/", {"model": "deepinfra/flux-1-dev", "prompt": "keep me",
                                                       "num_inference_steps": "4", "width": "768"})
    html = response.content.decode()
    assert "keep me" in html and 'value="768"' in html
    assert 'name="num_inference_steps" value="25"' in html  # dev's default, not schnell's 4
    assert 'max="1536"' in html and 'step="32"' in html


def test_gallery_is_shared_and_newest_first(member, member_client, admin_user):
    from tests.factories import make_generation
    older = make_generation(admin_user, "an old castle")
    newer = make_generation(member, "a new bridge")
    html = member_client.get("/").content.decode()
    assert html.index(f'id="generation-{newer.pk}"') < html.index(f'id="generation-{older.pk}"')
    assert "an old castle" in html and admin_user.username in html
