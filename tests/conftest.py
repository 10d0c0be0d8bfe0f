"""Shared fixtures: fast demo provider, isolated media, users, provider emulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina
from django.test import Client

from tests.emulators import aimlapi as aimlapi_emulator
from tests.emulators import imagepipeline as imagepipeline_emulator
from tests.emulators import openai_images as openai_images_emulator
from tests.emulators import segmind as segmind_emulator
from tests.emulators.deepinfra import API_KEY as DEEPINFRA_KEY
from tests.emulators.deepinfra import DeepInfraEmulator
from tests.emulators.server import serve
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


@pytest.fixture
def deepinfra(settings) -> Iterator[DeepInfraEmulator]:
    """A DeepInfra emulator on loopback, configured as the DeepInfra provider."""
    emulator = DeepInfraEmulator()
    with serve(emulator) as base_url:
        settings.DEEPINFRA_API_KEY = DEEPINFRA_KEY
        settings.DEEPINFRA_BASE_URL = base_url
        emulator.base_url = base_url
        try:
            yield emulator
        finally:
            if emulator.gate is not None:  # let held calls end before the server stops
                emulator.gate.set()


@pytest.fixture
def aimlapi(settings) -> Iterator[aimlapi_emulator.AIMLAPIEmulator]:
    """An AIML API emulator on loopback, configured as the AIML provider (``.env`` for
    child processes)."""
    emulator = aimlapi_emulator.AIMLAPIEmulator()
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        emulator.env = {"AIMLAPI_API_KEY": aimlapi_emulator.API_KEY, "AIMLAPI_BASE_URL": base_url}
        settings.AIMLAPI_API_KEY, settings.AIMLAPI_BASE_URL = aimlapi_emulator.API_KEY, base_url
        yield emulator


@pytest.fixture
def segmind(settings) -> Iterator[segmind_emulator.SegmindEmulator]:
    """A Segmind emulator on loopback, configured as the Segmind provider."""
    emulator = segmind_emulator.SegmindEmulator()
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        emulator.env = {"SEGMIND_API_KEY": segmind_emulator.API_KEY, "SEGMIND_BASE_URL": base_url}
        settings.SEGMIND_API_KEY, settings.SEGMIND_BASE_URL = segmind_emulator.API_KEY, base_url
        yield emulator


@pytest.fixture
def imagepipeline(settings) -> Iterator[imagepipeline_emulator.ImagePipelineEmulator]:
    """An ImagePipeline emulator on loopback, configured as the ImagePipeline provider
    with its dedicated server id; pending jobs are polled again at once."""
    emulator = imagepipeline_emulator.ImagePipelineEmulator()
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        emulator.env = {
            "IMAGEPIPELINE_API_KEY": imagepipeline_emulator.API_KEY, "IMAGEPIPELINE_BASE_URL": base_url,
            "IMAGEPIPELINE_SERVER_ID": imagepipeline_emulator.SERVER_ID, "FLUXWEB_PENDING_POLL_INTERVAL": "0",
        }
        settings.IMAGEPIPELINE_API_KEY = imagepipeline_emulator.API_KEY
        settings.IMAGEPIPELINE_BASE_URL = base_url
        settings.IMAGEPIPELINE_SERVER_ID = imagepipeline_emulator.SERVER_ID
        settings.FLUXWEB_PENDING_POLL_INTERVAL = 0
        yield emulator


@pytest.fixture
def deepinfra_openai(settings) -> Iterator[openai_images_emulator.OpenAIImagesEmulator]:
    """DeepInfra's OpenAI-compatible mount (``/v1/openai``) on loopback, enabled through
    ``DEEPINFRA_OPENAI`` with the DeepInfra key and base URL."""
    emulator = openai_images_emulator.OpenAIImagesEmulator(api_key=DEEPINFRA_KEY)
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        emulator.env = {
            "DEEPINFRA_API_KEY": DEEPINFRA_KEY, "DEEPINFRA_BASE_URL": base_url, "DEEPINFRA_OPENAI": "1",
        }
        settings.DEEPINFRA_API_KEY, settings.DEEPINFRA_BASE_URL = DEEPINFRA_KEY, base_url
        settings.DEEPINFRA_OPENAI = True
        yield emulator


@pytest.fixture
def openai_images(settings) -> Iterator[openai_images_emulator.OpenAIImagesEmulator]:
    """A generic OpenAI-style endpoint (a proxy at ``/v1``) configured through
    ``OPENAI_IMAGES_*`` with two model names."""
    models = ("black-forest-labs/FLUX.1-schnell", "flux-dev")
    emulator = openai_images_emulator.OpenAIImagesEmulator(prefix="/v1", models=models)
    with serve(emulator) as base_url:
        emulator.base_url = base_url
        emulator.env = {
            "OPENAI_IMAGES_BASE_URL": f"{base_url}/v1",
            "OPENAI_IMAGES_API_KEY": openai_images_emulator.API_KEY,
            "OPENAI_IMAGES_MODELS": ",".join(models),
        }
        settings.OPENAI_IMAGES_BASE_URL = f"{base_url}/v1"
        settings.OPENAI_IMAGES_API_KEY = openai_images_emulator.API_KEY
        settings.OPENAI_IMAGES_MODELS = list(models)
        yield emulator


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-password-123")


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client

