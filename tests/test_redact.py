"""A provider that echoes its API key back in an error body: the key reaches no page, no API
answer, no export and no log line (fluxweb/core/redact.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from fluxweb.api.models import ApiToken
from fluxweb.core.redact import MASK, RedactingFilter, redact
from fluxweb.gallery.live import changes_since
from fluxweb.generations.models import Generation
from tests.emulators import aimlapi as aimlapi_emulator
from tests.emulators.server import Request, Response, serve
from tests.provider_cases import provider_settings

# Shaped like no token (lower case, no known prefix): only the configured value finds it.
SECRET = "correct-horse-battery-staple-4242"


class EchoingAIML(aimlapi_emulator.AIMLAPIEmulator):
    """An AIML API that answers every call 400 with the caller's credentials in the message,
    and its key in a second field of its own."""

    def handle_api(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        key = auth.removeprefix("Bearer ")
        message = f"Bad request for {auth}: key {key} may not use this model, "
        # The key again across character 200, where a reason is cut short.
        return aimlapi_emulator.error(400, message + "x" * (190 - len(message)) + key)


@pytest.fixture
def hostile(settings) -> Iterator[EchoingAIML]:
    emulator = EchoingAIML()
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        env = {**aimlapi_emulator.env(base_url), "AIMLAPI_API_KEY": SECRET}
        for name, value in provider_settings(env).items():
            setattr(settings, name, value)
        yield emulator


@pytest.fixture
def handler_output() -> Iterator[io.StringIO]:
    """What the configured log handler (settings LOGGING's console) writes meanwhile."""
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.django_db(transaction=True)
def test_an_echoed_key_reaches_no_page_answer_export_or_log(
    hostile, member, settings, handler_output
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    member.is_staff = member.is_superuser = True  # status page, everyone's usage, the ledger
    member.save(update_fields=["is_staff", "is_superuser"])
    token = ApiToken.issue(member, "script")[1]
    client = Client()
    answer = client.post(
        "/v1/images/generations",
        {"model": "aimlapi/flux-schnell", "prompt": "a kite", "size": "512x512"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 502
    generation = Generation.objects.get()
    assert generation.status == Generation.Status.FAILED
    assert "AIML" in generation.error and MASK in generation.error  # still says what happened
    logging.getLogger("fluxweb.test").warning("provider said: %s", f"Bearer {SECRET}")

    client.force_login(member)
    outputs = {
        "error": generation.error,
        "api 502": answer.content.decode(),
        "card": client.get(f"/gallery/cards/{generation.pk}/").content.decode(),
        "gallery": client.get("/").content.decode(),
        "detail": client.get(f"/generations/{generation.pk}/").content.decode(),
        "live stream": "".join(event.encode() for event in changes_since(None)),
        "provider status": client.get("/providers/status/").content.decode(),
        "usage csv": client.get("/usage/export.csv").content.decode(),
        "admin ledger": client.get("/admin/budgets/ledgerentry/").content.decode(),
        "log": handler_output.getvalue(),
    }
    assert "refused the request" in outputs["card"]
    assert "refused the request" in outputs["admin ledger"]  # the release's note is listed
    assert "provider said" in outputs["log"]
    for where, text in outputs.items():
        assert SECRET not in text, where
        assert SECRET[:10] not in text, where  # nor a cut-off piece of it


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abcDEF123456ghiJKL",
        'invalid {"api_key": "q8w7e6r5t4y3"}',
        "token=Zx81kQ0p9vLm",
        "key sk-proj-ABCdef0123456789xyz rejected",
        "use SG_0123456789abcdef0123",
        "session aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z",
    ],
)
def test_credential_shapes_are_redacted(text):
    redacted = redact(text, secrets=[])
    assert MASK in redacted
    for secret in (
        "abcDEF123456ghiJKL",
        "q8w7e6r5t4y3",
        "Zx81kQ0p9vLm",
        "sk-proj-ABCdef",
        "SG_0123456789",
        "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z",
    ):
        assert secret not in redacted


@pytest.mark.parametrize(
    "text",
    [
        "AIML API refused the request (HTTP 400): Body validation error: num_images must be 1-4",
        "the provider rejected the API key",
        "generation=12 provider=aimlapi model=aimlapi/flux-schnell outcome=failed",
        "job 123e4567-e89b-12d3-a456-426614174000 failed",
        "max_tokens=100, prompt too long",
    ],
)
def test_ordinary_reasons_are_left_alone(text):
    assert redact(text, secrets=[]) == text


def test_configured_secrets_are_redacted(settings):
    settings.SECRET_KEY = "a-django-secret-key-for-this-test"
    settings.OIDC_CLIENT_SECRET = "oidc-client-secret-value"
    settings.MAILERS = {"default": {"BACKEND": "x", "OPTIONS": {"password": "smtp-pass-word"}}}
    text = "a-django-secret-key-for-this-test oidc-client-secret-value smtp-pass-word"
    assert redact(text) == f"{MASK} {MASK} {MASK}"


def test_log_records_are_redacted_with_their_exception(settings):
    settings.DEEPINFRA_API_KEY = SECRET
    logger = logging.getLogger("fluxweb.test.redact")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"key {SECRET}")
        except ValueError:
            logger.exception("failed with %s", SECRET, extra={"reason": SECRET})
    finally:
        logger.removeHandler(handler)
    assert SECRET not in stream.getvalue()
    assert "ValueError: key [redacted]" in stream.getvalue()
