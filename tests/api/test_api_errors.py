"""Every error of the images API has OpenAI's shape, with OpenAI's status where it has one."""

import json

import pytest
from django.test import Client

from fluxweb.api import views
from fluxweb.generations.models import Generation
from fluxweb.generations.services import delete_generation

URL = "/v1/images/generations"
BODY = {"model": "demo/placeholder", "prompt": "a lighthouse at dusk", "size": "256x256"}


def post_raw(client, content, token):
    return client.post(
        URL, content, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def error_of(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


@pytest.mark.django_db
def test_an_unknown_model_is_404_model_not_found_as_openai_answers(client, token):
    response = post_raw(client, json.dumps({**BODY, "model": "openai/gpt-image-9"}), token)
    assert response.status_code == 404
    error = error_of(response)
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "model_not_found",
        "model",
    )
    assert "openai/gpt-image-9" in error["message"]
    assert not Generation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("prompt", ['"\\ud800"', '"a \\udfff b"', '"\\ud800\\ud800"'])
def test_a_lone_surrogate_in_a_string_is_400(client, token, prompt):
    response = post_raw(client, f'{{"model": "demo/placeholder", "prompt": {prompt}}}', token)
    assert response.status_code == 400
    assert error_of(response)["param"] == "prompt"
    assert not Generation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [2_000, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_400_in_openai_shape(client, token, depth, open_, close):
    response = post_raw(client, open_ * depth + "1" + close * depth, token)
    assert response.status_code == 400
    assert "nested" in error_of(response)["message"]


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_400_in_openai_shape(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_raw(client, json.dumps({**BODY, "prompt": "x" * 2000}), token)
    assert response.status_code == 400
    error_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [("get", URL), ("put", URL), ("post", "/v1/models"), ("delete", "/v1/openapi.json")],
)
def test_a_wrong_method_is_405_in_openai_shape(client, token, method, url):
    response = getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response["Allow"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/v1/images/edits", "/v1/", "/v1/images/links/x/y/"])
def test_an_unknown_api_url_is_404_in_openai_shape(client, token, url):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_url"


@pytest.mark.django_db
def test_pages_outside_the_api_keep_html_error_pages(client, member):
    client.force_login(member)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_bug_in_the_api_is_500_in_openai_shape(token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "parse_images_request", broken)
    response = post_raw(Client(raise_request_exception=False), json.dumps(BODY), token)
    assert response.status_code == 500
    assert error_of(response)["type"] == "server_error"
    assert "a bug" not in response.content.decode()


def _submit_then(monkeypatch, change):
    """Make the API's submit also do ``change`` to the new generation before the call
    starts waiting for it (as a member's click would while it waits)."""
    submit = views.submit_generation

    def submit_and_change(*args, **kwargs):
        generation = submit(*args, **kwargs)
        change(Generation.objects.get(pk=generation.pk))
        return generation

    monkeypatch.setattr(views, "submit_generation", submit_and_change)


@pytest.mark.django_db(transaction=True)
def test_a_generation_deleted_while_the_call_waits_is_409(client, token, monkeypatch, settings):
    settings.FLUXWEB_API_WAIT_TIMEOUT = 5
    _submit_then(monkeypatch, delete_generation)
    response = post_raw(client, json.dumps(BODY), token)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "generation_deleted" and "deleted" in error["message"]
    assert response.json()["generation_id"] > 0


@pytest.mark.skipif(not hasattr(Generation.Status, "CANCELLED"), reason="no cancelled status yet")
@pytest.mark.django_db(transaction=True)
def test_a_generation_cancelled_while_the_call_waits_is_409(client, token, monkeypatch, settings):
    settings.FLUXWEB_API_WAIT_TIMEOUT = 5
    cancelled = Generation.Status.CANCELLED
    # Finished without images, whether or not FINISHED names it.
    monkeypatch.setattr(Generation, "FINISHED", (*Generation.FINISHED, cancelled))
    _submit_then(monkeypatch, lambda g: Generation.objects.filter(pk=g.pk).update(status=cancelled))
    response = post_raw(client, json.dumps(BODY), token)
    assert response.status_code == 409
    assert error_of(response)["code"] == f"generation_{cancelled}"
