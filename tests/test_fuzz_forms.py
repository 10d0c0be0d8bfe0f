"""Hostile and random input to the generation form's endpoints: never a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from fluxweb.generations.forms import GenerationForm

pytestmark = pytest.mark.django_db

FIELDS = [*GenerationForm.base_fields, "csrfmiddlewaretoken", "unexpected"]
TRICKY = [
    "",
    " ",
    "demo/placeholder",
    "deepinfra/flux-1-schnell",
    "NaN",
    "-Infinity",
    "1e999",
    "-0",
    "0x10",
    "９",
    "1_000",
    "\x00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "9" * 40,
    "-" + "9" * 40,
    "1.5",
]
VALUE = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=300),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
ANY_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))
VALID = {
    "prompt": "A lighthouse at dusk",
    "model": "demo/placeholder",
    "width": "256",
    "height": "256",
    "num_images": "1",
}
FORM_DATA = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), ANY_VALUE),
    # A valid submission with one or two fields changed: reaches the deeper checks.
    st.dictionaries(st.sampled_from(FIELDS), ANY_VALUE, max_size=2).map(
        lambda changes: {**VALID, **changes}
    ),
)
FUZZ = hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=FORM_DATA, htmx=st.booleans())
def test_submit_answers_errors_or_a_redirect_never_a_server_error(member_client, data, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = member_client.post("/generations/new/", data, **headers)
    if htmx:
        assert response.status_code == 200  # the new card, or the form with its errors
    else:
        # A redirect home, or the page again with the errors (400 = not accepted).
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert b'class="error"' in response.content or b"form-errors" in response.content


@FUZZ
@given(data=FORM_DATA, endpoint=st.sampled_from(["/generations/form/", "/generations/estimate/"]))
def test_form_and_estimate_answer_any_query(member_client, data, endpoint):
    assert member_client.get(endpoint, data).status_code == 200
