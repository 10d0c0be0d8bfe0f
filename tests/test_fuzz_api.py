"""Odd bodies for the images API: whatever the body, the answer is a documented status in
OpenAI's shape, never a server error (tests/api/test_schemathesis.py covers what the
OpenAPI description allows; this covers what it does not: broken JSON, deep nesting,
lone surrogates, wrong types, unknown models), as an admin and as a member.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from fluxweb.api.models import ApiToken
from fluxweb.api.schema import openapi_document

URL = "/v1/images/generations"
REQUEST = openapi_document("http://testserver/v1", [])["components"]["schemas"][
    "CreateImageRequest"
]
KEYS = [*REQUEST["properties"], "unknown", ""]
VALID = {"model": "demo/placeholder", "prompt": "a lighthouse at dusk", "size": "64x64"}
# What the API may answer: success, refusals, and the provider's or the wait's failures.
DOCUMENTED = {200, 400, 401, 404, 409, 429, 502, 504}

SURROGATES = st.characters(categories=["Cs"])
ODD_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(SURROGATES, min_size=1, max_size=3),
    st.sampled_from(
        [
            "demo/placeholder",
            "64x64",
            "1024x1024",
            "99999x99999",
            "b64_json",
            "url",
            "²",
            "9" * 4400,
            "\x00",
            "NaN",
            "openai/gpt-image-1",
        ]
    ),
)
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ODD_TEXT),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
NESTING = st.tuples(
    st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"prompt":[', "]}")]), st.integers(1, 50_000)
)
BODY = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), JSON_VALUE).map(json.dumps),
    # A valid request with one or two values changed: reaches the deeper checks.
    st.dictionaries(st.sampled_from(KEYS), JSON_VALUE, max_size=2).map(
        lambda changes: json.dumps({**VALID, **changes})
    ),
    NESTING.map(lambda nest: nest[0][0] * nest[1] + "1" + nest[0][1] * nest[1]),
    JSON_VALUE.map(json.dumps),
    st.binary(max_size=200),
    st.text(max_size=200),
)
FUZZ = hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def tokens(django_user_model, member) -> dict[str, str]:
    admin = django_user_model.objects.create_superuser("ada", "ada@example.com", "ada-password-123")
    return {"admin": ApiToken.issue(admin, "fuzz")[1], "member": ApiToken.issue(member, "fuzz")[1]}


@pytest.mark.django_db(transaction=True)
@FUZZ
@given(body=BODY, role=st.sampled_from(["admin", "member"]))
def test_any_body_gets_a_documented_answer_in_openai_shape(
    tokens, immediate_tasks, settings, body, role
):
    settings.FLUXWEB_API_WAIT_TIMEOUT = 5
    client = Client(raise_request_exception=False)
    response = client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tokens[role]}"
    )
    event(f"HTTP {response.status_code}")
    assert response.status_code in DOCUMENTED, (
        body[:200],
        response.status_code,
        response.content[:300],
    )
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks inline at commit, so a valid request's generation finishes."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
