"""Shared fixtures: fast demo provider, isolated media, users, provider emulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stamina
from django.test import Client

from tests.emulators import aimlapi as aimlapi_emulator
from tests.emulators import deepinfra as deepinfra_emulator
from tests.emulators import imagepipeline as imagepipeline_emulator
from tests.emulators import openai_images as openai_images_emulator
from tests.emulators import segmind as segmind_emulator
from tests.emulators.deepinfra import API_KEY as DEEPINFRA_KEY
from tests.emulators.deepinfra import DeepInfraEmulator
from tests.emulators.server import BaseEmulator, serve
from tests.provider_cases import provider_settings
from tests.s3 import s3, s3_server  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _isolated_settings(request, settings, tmp_path):
    settings.FLUXWEB_DEMO_DELAY = 0
    if not request.node.get_closest_marker("e2e"):
        # Browser tests log in to a separate server process, which must verify the hash.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    # Templates render {% static %} without a collectstatic manifest in tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_card_cache() -> Iterator[None]:
    # Test databases reuse ids after a rollback (SQLite); keys are digests of the whole
    # card, so this is belt and braces, and keeps tests independent.
    from django.core.cache import caches

    caches["cards"].clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def _own_redis_db() -> Iterator[None]:
    # With FLUXWEB_TASK_BACKEND=rq, this run's jobs go to a Redis database of its own.
    from tests.processes import own_redis_db

    with own_redis_db():
        yield


@pytest.fixture(autouse=True, scope="session")
def _no_backoff_waits() -> Iterator[None]:
    # Retries keep their number of attempts but skip the sleeping between them.
    stamina.set_testing(True, attempts=100, cap=True)
    yield
    stamina.set_testing(False)


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-password-123")


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def _emulator_fixture(
    make: Callable[[], BaseEmulator],
    env: Callable[[str], dict[str, str]],
    doc: str,
    **extra_settings: Any,
) -> Any:
    """A fixture serving the emulator ``make()`` on loopback and pointing its provider at it:
    ``emulator.env`` (for child processes) is ``env(base_url)`` plus ``extra_settings`` as
    text, and the test's settings get the same values, parsed as settings.py parses them."""

    @pytest.fixture
    def fixture(settings: Any) -> Iterator[BaseEmulator]:
        emulator = make()
        with serve(emulator) as base_url:
            emulator.base_url = base_url
            extra_env = {name: str(value) for name, value in extra_settings.items()}
            emulator.env = {**env(base_url), **extra_env}
            for name, value in {**provider_settings(env(base_url)), **extra_settings}.items():
                setattr(settings, name, value)
            try:
                yield emulator
            finally:
                gate = getattr(emulator, "gate", None)
                if gate is not None:  # let held calls end before the server stops
                    gate.set()

    fixture.__doc__ = doc
    return fixture


deepinfra = _emulator_fixture(
    DeepInfraEmulator,
    deepinfra_emulator.env,
    "A DeepInfra emulator on loopback, configured as the DeepInfra provider.",
)
aimlapi = _emulator_fixture(
    aimlapi_emulator.AIMLAPIEmulator,
    aimlapi_emulator.env,
    "An AIML API emulator on loopback, configured as the AIML provider.",
)
segmind = _emulator_fixture(
    segmind_emulator.SegmindEmulator,
    segmind_emulator.env,
    "A Segmind emulator on loopback, configured as the Segmind provider.",
)
imagepipeline = _emulator_fixture(
    imagepipeline_emulator.ImagePipelineEmulator,
    imagepipeline_emulator.env,
    "An ImagePipeline emulator on loopback, configured with its dedicated server id; pending "
    "jobs are polled again at once.",
    FLUXWEB_PENDING_POLL_INTERVAL=0,
)
deepinfra_openai = _emulator_fixture(
    lambda: openai_images_emulator.OpenAIImagesEmulator(api_key=DEEPINFRA_KEY),
    lambda base_url: openai_images_emulator.deepinfra_env(base_url, DEEPINFRA_KEY),
    "DeepInfra's OpenAI-compatible mount (``/v1/openai``) on loopback, enabled through "
    "``DEEPINFRA_OPENAI`` with the DeepInfra key and base URL.",
)
openai_images = _emulator_fixture(
    lambda: openai_images_emulator.OpenAIImagesEmulator(
        prefix=openai_images_emulator.GENERIC_PREFIX, models=openai_images_emulator.GENERIC_MODELS
    ),
    openai_images_emulator.env,
    "A generic OpenAI-style endpoint (a proxy at ``/v1``) configured through ``OPENAI_IMAGES_*`` "
    "with two model names.",
)


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-password-123")


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client
