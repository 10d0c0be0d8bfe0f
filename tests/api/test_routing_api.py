"""The API offers the best-price models and says which host served."""

import pytest

URL = "/v1/images/generations"


@pytest.fixture
def best_price(settings, aimlapi, deepinfra):
    settings.FLUXWEB_BEST_PRICE = True
    settings.DEEPINFRA_OPENAI = False
    return aimlapi, deepinfra


@pytest.mark.django_db
def test_models_lists_the_best_price_models(client, token, best_price):
    response = client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {token}")
    ids = [model["id"] for model in response.json()["data"]]
    assert ids[:2] == ["best-price/flux-1-schnell", "best-price/flux-1-dev"]


@pytest.mark.django_db(transaction=True)
def test_a_best_price_request_fails_over_and_says_which_host_served(
    client, token, best_price, immediate_tasks
):
    aimlapi, _ = best_price
    aimlapi.fault, aimlapi.fault_times = "403-credits", 1
    body = {
        "model": "best-price/flux-1-schnell",
        "prompt": "a kite",
        "size": "1024x1024",
        "num_inference_steps": 12,
        "response_format": "b64_json",
    }
    response = client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["provider"] == "deepinfra"
    assert answer["route"] == "AIML API out of credits → DeepInfra"
