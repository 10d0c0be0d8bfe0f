"""Submitting from the browser: login, validation, enqueueing, HTMX and plain responses."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fluxweb.budgets.models import QuotaModelLimit
from fluxweb.generations.models import Generation
from fluxweb.generations.routing import run_generation
from fluxweb.queue import notify
from tests.budget_factories import set_price, set_quota
from tests.queue_helpers import enqueued

pytestmark = pytest.mark.django_db

FORM = {
    "prompt": "A T-Rex relaxing on a beach",
    "model": "demo/placeholder",
    "width": "512",
    "height": "384",
    "num_inference_steps": "4",
    "num_images": "2",
    "seed": "",
}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/generations/form/",
        "/generations/estimate/",
        "/gallery/events/",
        "/gallery/cards/1/",
        "/images/1/",
    ],
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
    for field in (
        "prompt",
        "model",
        "width",
        "height",
        "num_inference_steps",
        "seed",
        "num_images",
    ):
        assert f'<label for="id_{field}">' in html
    assert "Demo (offline) placeholder, not FLUX" in html


def test_htmx_submit_queues_the_generation_and_answers_its_card(
    member, member_client, django_capture_on_commit_callbacks
):
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=True):
        response = member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    generation = Generation.objects.get()
    assert (generation.author, generation.status, generation.num_images) == (member, "queued", 2)
    assert generation.prompt.text == "A T-Rex relaxing on a beach"
    assert (
        generation.seed is not None and 0 <= generation.seed < 2**31
    )  # blank seed → recorded random seed
    html = response.content.decode()
    assert f'id="generation-{generation.pk}"' in html and "Queued" in html
    assert 'hx-swap-oob="outerHTML:#estimate"' in html  # the estimate and budget line, out of band
    assert tasks == [("generate_images", [generation.pk])]


def test_the_task_row_is_written_in_the_submits_transaction(
    member, member_client, django_capture_on_commit_callbacks
):
    with enqueued() as tasks, django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")
    # Nothing is left for after the commit: the task row commits with the generation.
    assert callbacks == [] and tasks == [("generate_images", [Generation.objects.get().pk])]


def test_chosen_seed_is_kept(member_client):
    member_client.post("/generations/new/", {**FORM, "seed": "12345"}, HTTP_HX_REQUEST="true")
    assert Generation.objects.get().seed == 12345


def test_invalid_htmx_submit_shows_errors_and_enqueues_nothing(
    member_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = member_client.post(
            "/generations/new/", {**FORM, "width": "99999", "prompt": ""}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#generation-form" and response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert "<form" not in html  # the body only: the form element, and its htmx queue, stay
    assert "This field is required." in html and "Width (px) must be 64–2048" in html
    assert 'value="99999"' in html  # nothing the user typed is lost
    assert Generation.objects.count() == 0 and callbacks == []


def test_plain_submit_redirects_home_and_errors_render_a_form_page(member_client):
    response = member_client.post("/generations/new/", FORM)
    assert response.status_code == 302 and response["Location"] == reverse("gallery:home")
    response = member_client.post("/generations/new/", {**FORM, "num_images": "9"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Images must be 1–4" in html and 'id="generation-form"' in html
    assert "A T-Rex relaxing on a beach" in html  # what was typed is kept
    assert f'href="{reverse("gallery:home")}"' in html  # a way back to the gallery
    assert Generation.objects.count() == 1


def test_estimate_partial_follows_the_fields(member_client, deepinfra):
    response = member_client.get(
        "/generations/estimate/",
        {
            "model": "deepinfra/flux-1-schnell",
            "width": "1024",
            "height": "1024",
            "num_inference_steps": "4",
            "num_images": "3",
        },
    )
    assert 'id="estimate"' in response.content.decode()
    assert "$0.006<" in response.content.decode()
    response = member_client.get(
        "/generations/estimate/", {"model": "deepinfra/flux-1-schnell", "width": "-5"}
    )
    assert "check the fields" in response.content.decode()


def test_switching_model_rerenders_form_with_its_limits_and_defaults(member_client, deepinfra):
    response = member_client.get(
        "/generations/form/",
        {
            "model": "deepinfra/flux-1-dev",
            "prompt": "keep me",
            "num_inference_steps": "4",
            "width": "768",
        },
    )
    html = response.content.decode()
    # The form's body, swapped into the form element in the page (which keeps its htmx
    # queue: generations/_form.html).
    assert "<form" not in html and 'name="csrfmiddlewaretoken"' in html
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


def test_htmx_submit_keeps_the_typed_form_and_shows_the_budget_left_after_it(member, member_client):
    set_price(usd="0.01")
    set_quota(member, "0.50", images_per_day=10)
    response = member_client.post(
        "/generations/new/",
        {**FORM, "seed": "77", "negative_prompt": "blur"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    # The form in the page is left alone, so every value typed stays as it was.
    assert ":#generation-form" not in html and 'name="prompt"' not in html
    estimate = re.search(r'<div hx-swap-oob="outerHTML:#estimate">(.*)</div>', html, re.S).group(1)
    assert "Estimated cost:\n        <output>$0.02</output>" in estimate
    assert (
        "Left: <output>$0.48</output> of $0.50" in estimate and "2 of 10 images today" in estimate
    )
    # The same figures as a fresh read of the budget would show.
    again = member_client.get("/generations/estimate/", FORM).content.decode()
    assert "Left: <output>$0.48</output> of $0.50" in again and "2 of 10 images today" in again


def test_a_submit_after_errors_sends_the_form_again_without_them_keeping_the_values(member_client):
    errors = member_client.post(
        "/generations/new/", {**FORM, "width": "99999"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Width (px) must be" in errors and 'name="errors_shown"' in errors
    fixed = {**FORM, "width": "640", "seed": "12345", "errors_shown": "1"}
    html = member_client.post("/generations/new/", fixed, HTTP_HX_REQUEST="true").content.decode()
    assert Generation.objects.get().width == 640
    form = re.search(r'<div hx-swap-oob="innerHTML:#generation-form">(.*)</div>', html, re.S).group(
        1
    )
    assert "must be" not in form and 'name="errors_shown"' not in form
    assert "A T-Rex relaxing on a beach</textarea>" in form
    for name, value in (
        ("width", "640"),
        ("height", "384"),
        ("seed", "12345"),
        ("num_images", "2"),
    ):
        assert f'name="{name}" value="{value}"' in form


def test_a_submit_that_does_not_fit_a_model_cap_says_so(member, member_client):
    quota = set_quota(member, None)
    QuotaModelLimit.objects.create(quota=quota, model_id="demo/placeholder", images_per_day=3)
    member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true")  # 2 of 3
    html = member_client.post("/generations/new/", FORM, HTTP_HX_REQUEST="true").content.decode()
    assert (
        "You can make 3 Demo (offline) placeholder, not FLUX images a day and have made 2 today"
        in html
    )
    assert Generation.objects.count() == 1


# Session, user, the model's price; transaction: locked quota (with the model's cap), quota
# total, hold, ledger row, prompt upsert, generation, task row and, where workers listen
# (PostgreSQL), their NOTIFY (+ its BEGIN/COMMIT, here SAVEPOINT/RELEASE inside the test's
# transaction). The budget line comes from the reservation (no more queries).
SUBMIT_QUERIES = 12 + notify.available()


@pytest.mark.parametrize("prompt", ["A new prompt", "A T-Rex relaxing on a beach"])
def test_htmx_submit_query_count(member_client, django_assert_max_num_queries, prompt):
    member_client.post(
        "/generations/new/", FORM, HTTP_HX_REQUEST="true"
    )  # the second prompt is now known
    with enqueued() as tasks, django_assert_max_num_queries(SUBMIT_QUERIES):
        response = member_client.post(
            "/generations/new/", {**FORM, "prompt": prompt}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and Generation.objects.count() == 2
    assert len(tasks) == 1  # the task row, counted above


# The generation with its prompt and hold; the claim (an UPDATE); the success transaction
# (BEGIN/COMMIT, here SAVEPOINT/RELEASE): success (an UPDATE, which also sees a cancel), the
# image row, the hold's UPDATE, the ledger row, the quota's totals (an UPDATE that locks it);
# then the provider's status and its call row. The generation is read once before the claim, and
# its hold never on its own; what the claim and the success set is not read back.
RUN_QUERIES = 11


def test_worker_run_query_count(member_client, django_assert_max_num_queries):
    for prompt in ("a first lighthouse", "a second lighthouse"):
        member_client.post(
            "/generations/new/",
            {**FORM, "prompt": prompt, "num_images": "1"},
            HTTP_HX_REQUEST="true",
        )
    first, generation = Generation.objects.order_by("pk")
    run_generation(first.pk)  # the provider's status row now exists, as it does in a server
    with (
        CaptureQueriesContext(connection) as queries,
        django_assert_max_num_queries(RUN_QUERIES),
    ):
        run_generation(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    statements = [query["sql"] for query in queries.captured_queries]
    before_claim = statements[: next(i for i, sql in enumerate(statements) if "UPDATE" in sql)]
    assert len(before_claim) == 1 and '"budgets_hold"' in before_claim[0]  # one read, joined
    assert not [sql for sql in statements if sql.startswith('SELECT "budgets_hold"')]
