"""/v1/images/generations and /v1/models: OpenAI's request/response and error shapes."""

import base64
import io
import json
from decimal import Decimal

import pytest
from PIL import Image

from fluxweb.api.models import ApiToken
from fluxweb.api.views import answer
from fluxweb.generations.models import Generation
from tests.factories import make_finished_generation

URL = "/v1/images/generations"


def post(client, body, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(URL, body, content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_bad_token_is_401_in_openai_shape(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(
        URL, {"model": "demo/placeholder", "prompt": "x"}, content_type="application/json", **extra
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.django_db
def test_revoked_token_is_refused(client, member, token):
    ApiToken.objects.get().revoke()
    assert post(client, {"model": "demo/placeholder", "prompt": "x"}, token).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"prompt": "x"}, "model", "'model' is required"),
        ({"model": "demo/placeholder"}, "prompt", "'prompt' is required"),
        (
            {"model": "demo/placeholder", "prompt": "x", "size": "big"},
            "size",
            "'size' must look like",
        ),
        (
            {"model": "demo/placeholder", "prompt": "x", "size": "4096x512"},
            "size",
            "Width (px) must be 64–2048",
        ),
        ({"model": "demo/placeholder", "prompt": "x", "n": 9}, "n", "Images must be 1–4"),
        ({"model": "demo/placeholder", "prompt": "x", "n": "2"}, "n", "'n' must be an integer"),
        (
            {"model": "demo/placeholder", "prompt": "x", "num_inference_steps": 99},
            "num_inference_steps",
            "Steps must be 1–50",
        ),
        (
            {"model": "demo/placeholder", "prompt": "x", "response_format": "png"},
            "response_format",
            "'url' or 'b64_json'",
        ),
        ({"model": "demo/placeholder", "prompt": ""}, "prompt", "required"),
    ],
)
def test_invalid_parameters_are_400_with_the_param(client, token, body, param, message):
    response = post(client, body, token)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert message in error["message"]
    assert Generation.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_400(client, token):
    response = client.post(
        URL, "{nope", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]


@pytest.mark.django_db(transaction=True)
def test_b64_json_returns_the_images_and_records_an_api_generation(
    client, member, token, immediate_tasks
):
    response = post(
        client,
        {
            "model": "demo/placeholder",
            "prompt": "a quiet harbour",
            "n": 2,
            "size": "320x192",
            "response_format": "b64_json",
            "seed": 77,
        },
        token,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body["created"], int) and len(body["data"]) == 2
    with Image.open(io.BytesIO(base64.b64decode(body["data"][0]["b64_json"]))) as image:
        assert image.size == (320, 192)
    assert body["data"][0]["revised_prompt"] == "a quiet harbour"
    generation = Generation.objects.get()
    assert (generation.author, generation.source, generation.seed) == (member, "api", 77)
    # It shows in the shared gallery with an API badge.
    client.force_login(member)
    assert 'title="Made through the API">API</span>' in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_url_format_returns_a_working_short_lived_link(client, token, immediate_tasks, settings):
    response = post(
        client, {"model": "demo/placeholder", "prompt": "a kite", "size": "128x128"}, token
    )
    url = response.json()["data"][0]["url"]
    assert url.startswith("http://testserver/v1/images/links/")
    path = url.removeprefix("http://testserver")
    fetched = client.get(path)  # no login needed: the signature is the permission
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/png"
    assert client.get(path[:-3] + "xx/").status_code == 404
    settings.FLUXWEB_API_LINK_TTL = -1
    assert client.get(path).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_provider_failure_is_502_with_the_reason(client, token, immediate_tasks, deepinfra):
    deepinfra.fault = "401"
    response = post(
        client, {"model": "deepinfra/flux-1-schnell", "prompt": "x", "size": "256x256"}, token
    )
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["message"] == "The provider failed: the provider rejected the API key"
    assert response.json()["generation_id"] == Generation.objects.get().pk


@pytest.mark.django_db
def test_still_running_after_the_wait_is_504_with_the_generation_id(client, token, settings):
    settings.FLUXWEB_API_WAIT_TIMEOUT = 0.2  # no worker runs here
    response = post(client, {"model": "demo/placeholder", "prompt": "x", "size": "256x256"}, token)
    assert response.status_code == 504
    assert response.json()["generation_id"] == Generation.objects.get().pk
    assert response.json()["error"]["code"] == "generation_timeout"


@pytest.mark.django_db
def test_models_lists_enabled_models(client, token, deepinfra):
    response = client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {token}")
    ids = [m["id"] for m in response.json()["data"]]
    assert ids == ["deepinfra/flux-1-schnell", "deepinfra/flux-1-dev", "demo/placeholder"]
    assert client.get("/v1/models").status_code == 401


@pytest.mark.django_db
def test_openapi_document_is_served_without_login(client):
    document = client.get("/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/images/generations", "/models"}


@pytest.mark.django_db
def test_over_budget_is_429_insufficient_quota_and_nothing_is_queued(client, member, token):
    from tests.budget_factories import set_price, set_quota

    set_price(usd="0.05")
    set_quota(member, "0.08")
    response = post(
        client, {"model": "demo/placeholder", "prompt": "x", "size": "256x256", "n": 2}, token
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("insufficient_quota", "insufficient_quota")
    assert "$0.10" in error["message"] and "$0.08" in error["message"]
    assert Generation.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_api_generations_are_charged_to_the_token_owner(client, member, token, immediate_tasks):
    from fluxweb.budgets.models import LedgerEntry
    from fluxweb.budgets.services import budget_status
    from tests.budget_factories import set_price, set_quota

    set_price(usd="0.02")
    set_quota(member, "1.00")
    response = post(
        client,
        {
            "model": "demo/placeholder",
            "prompt": "x",
            "size": "256x256",
            "n": 2,
            "response_format": "b64_json",
        },
        token,
    )
    assert response.status_code == 200
    kinds = sorted(LedgerEntry.objects.filter(user=member).values_list("kind", flat=True))
    assert kinds == ["charge", "reserve"]
    assert budget_status(member).remaining_usd == Decimal("0.96")


@pytest.mark.django_db
def test_the_answer_of_a_finished_generation_is_one_query(rf, member, django_assert_num_queries):
    generation = make_finished_generation(member, num_images=2)
    request = rf.post(URL)
    with django_assert_num_queries(1):  # the images with their generation and its prompt
        response = answer(request, generation.pk, "b64_json")
    data = json.loads(response.content)["data"]
    assert len(data) == 2 and data[0]["revised_prompt"] == generation.prompt.text
    stored = [image.file.read() for image in generation.images.order_by("index")]
    assert [base64.b64decode(item["b64_json"]) for item in data] == stored
    gone = make_finished_generation(member)
    gone.delete()
    assert answer(request, gone.pk, "b64_json").status_code == 409
