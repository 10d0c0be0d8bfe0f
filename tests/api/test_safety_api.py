"""The images API carries the provider's safety flag per image and honours the safety
policy (issue 17 §3)."""

import pytest

from fluxweb.generations.models import Generation
from fluxweb.generations.safety import set_safety_forced

URL = "/v1/images/generations"
BODY = {"model": "aimlapi/flux-schnell", "prompt": "a T-Rex", "size": "512x384"}


def post(client, body, token):
    return client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.django_db(transaction=True)
def test_flagged_image_carries_the_flag_in_the_answer(client, token, immediate_tasks, aimlapi):
    aimlapi.nsfw = [True]
    response = post(client, BODY, token)
    assert response.status_code == 200, response.content
    (item,) = response.json()["data"]
    assert item["nsfw_content_detected"] is True
    # Omitted: AIML's documented default, the checker on.
    assert Generation.objects.get().options == {"enable_safety_checker": True}


@pytest.mark.django_db(transaction=True)
def test_unflagged_image_says_so(client, token, immediate_tasks, aimlapi):
    response = post(client, {**BODY, "enable_safety_checker": False}, token)
    assert response.status_code == 200, response.content
    assert response.json()["data"][0]["nsfw_content_detected"] is False
    assert Generation.objects.get().options == {"enable_safety_checker": False}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["no", 0, [], {"a": 1}])
def test_safety_checker_must_be_a_boolean(client, token, aimlapi, value):
    response = post(client, {**BODY, "enable_safety_checker": value}, token)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "enable_safety_checker"
    assert Generation.objects.count() == 0


@pytest.mark.django_db
def test_checker_off_is_refused_while_an_admin_forces_it(client, token, member, aimlapi):
    set_safety_forced(True, member)
    response = post(client, {**BODY, "enable_safety_checker": False}, token)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "enable_safety_checker"
    assert "An admin requires the provider's safety checker" in error["message"]
    assert Generation.objects.count() == 0
