"""Each provider's declaration (fluxweb/providers/catalog.py) is the one source: settings,
the registry, the emulators and the docs agree with it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from environs import EnvError

from fluxweb.providers.catalog import PROVIDERS, env_names
from fluxweb.providers.declaration import EnvVar, ProviderInfo, settings_env
from fluxweb.providers.registry import get_registry
from tests import conftest
from tests.provider_cases import EMULATORS, provider_settings

ROOT = Path(__file__).resolve().parent.parent
SLUGS = [info.slug for info in PROVIDERS]


def table_rows(text: str, heading: str) -> list[str]:
    """The rows (without the header and rule) of the first Markdown table after ``heading``."""
    after = text[text.index(heading) :]
    lines = after.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def row_for(rows: list[str], slug: str) -> str:
    found = [row for row in rows if f"| `{slug}` |" in row]
    assert len(found) == 1, f"no single table row for provider {slug!r}"
    return found[0]


def test_slugs_are_unique_and_model_ids_start_with_them():
    assert len(set(SLUGS)) == len(SLUGS)
    for info in PROVIDERS:
        values = {var.name: var.default for var in info.env}
        values.update(dict.fromkeys(info.needs, "https://provider.example/v1"))
        values.update({var.name: ["flux-schnell"] for var in info.env if var.kind == "list"})
        values.update({var.name: True for var in info.env if var.kind == "bool" and var.enables})
        provider = info.build(values)
        assert provider.slug == info.slug
        assert provider.models()
        assert all(
            model.id.startswith(f"{info.slug}/") and model.provider == info.slug
            for model in provider.models()
        )


def test_every_declared_variable_is_a_setting():
    assert env_names()
    for name in env_names():
        assert hasattr(django_settings, name), name


def test_settings_parse_declared_variables_strictly():
    assert provider_settings({"DEEPINFRA_OPENAI": "1", "OPENAI_IMAGES_MODELS": "a,b"}) == {
        "DEEPINFRA_OPENAI": True,
        "OPENAI_IMAGES_MODELS": ["a", "b"],
    }
    with pytest.raises(EnvError):
        provider_settings({"DEEPINFRA_OPENAI": "maybe"})
    with pytest.raises(EnvError):
        provider_settings({"FLUXWEB_DEMO_DELAY": "soon"})


def test_a_shared_variable_must_be_declared_alike():
    def info(var: EnvVar) -> ProviderInfo:
        return ProviderInfo("x", "X", env=(var,), build=lambda values: None)  # type: ignore[arg-type,return-value]

    with pytest.raises(ValueError, match="SHARED_API_KEY"):
        alike = (info(EnvVar("SHARED_API_KEY")), info(EnvVar("SHARED_API_KEY", secret=True)))
        settings_env(alike, None)


def test_the_registry_follows_the_declarations(settings):
    for info in PROVIDERS:
        for var in info.env:
            setattr(settings, var.name, var.default)
    settings.FLUXWEB_DEMO_PROVIDER = False
    assert list(get_registry().providers) == []
    settings.SEGMIND_API_KEY = "s"
    assert list(get_registry().providers) == ["segmind"]


def test_every_provider_but_the_demo_has_an_emulator_fixture():
    assert set(EMULATORS) == set(SLUGS) - {"demo"}
    for fixture in EMULATORS.values():
        assert callable(getattr(conftest, fixture)), fixture


def test_the_readme_table_lists_every_provider_with_its_enabling_variables():
    rows = table_rows((ROOT / "README.md").read_text(), "**Providers.**")
    assert len(rows) == len(PROVIDERS)
    for info in PROVIDERS:
        row = row_for(rows, info.slug)
        for name in info.needs:
            assert f"`{name}" in row, f"README's row for {info.slug} misses {name}"


def test_docs_list_every_provider_variable_with_its_default():
    rows = table_rows((ROOT / "docs" / "providers.md").read_text(), "## Settings")
    assert len(rows) == len(PROVIDERS)
    for info in PROVIDERS:
        row = row_for(rows, info.slug)
        for var in info.env:
            named = f"`{var.name}" in row or f"{{{var.name}}}" in row
            assert named, f"docs miss {var.name} ({info.slug})"
            if var.default not in ("", (), False, True):
                documented = re.search(rf"`{var.name}` \(`([^`]+)`", "\n".join(rows))
                assert documented, f"docs give no default for {var.name}"
                assert documented[1] == str(var.default), f"docs differ on {var.name}'s default"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


EMULATOR_MODULES = sorted(
    path.stem
    for path in (ROOT / "tests" / "emulators").glob("*.py")
    if path.stem not in {"__init__", "server"}
)


@pytest.mark.parametrize("module", EMULATOR_MODULES)
def test_every_emulator_runs_from_the_command_line(module):
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", f"tests.emulators.{module}", str(port), "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert child.stdout is not None
        listening = child.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in listening
        hint = child.stdout.readline()
        assert hint.startswith("run fluxweb with: ") and f"http://127.0.0.1:{port}" in hint
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert sock.recv(64).startswith(b"HTTP/1.1 ")
    finally:
        child.terminate()
        child.wait(timeout=10)
