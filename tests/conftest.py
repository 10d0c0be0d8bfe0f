"""Shared fixtures: fast demo provider, isolated media, users, provider emulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina
from django.test import Client

from tests.emulators.deepinfra import API_KEY as DEEPINFRA_KEY
from tests.emulators.deepinfra import DeepInfraEmulator
from tests.emulators.server import serve
from tests.s3 import s3, s3_server  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.FLUXWEB_DEMO_DELAY = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing costs ~1 s per user; tests make many users and logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Templates render {% static %} without a collectstatic manifest in tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
