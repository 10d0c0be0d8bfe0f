"""No published secret key: bin/run keeps a random one per install in var/secret_key
(mode 0600), and settings without DJANGO_SECRET_KEY never use a fixed one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT

PUBLISHED = "django-insecure-development-only-key-do-not-use-in-production"


def ensure_secret_key(key_file: Path, **env: str) -> str:
    """Run bin/run's ``ensure_secret_key`` in bash; the DJANGO_SECRET_KEY it exports."""
    script = (
        "set -euo pipefail; source bin/lib/secret_key.sh; "
        'ensure_secret_key "$1"; echo "$DJANGO_SECRET_KEY"'
    )
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    done = subprocess.run(
        ["bash", "-c", script, "bash", str(key_file)],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_bin_run_makes_a_private_random_key_once_and_reuses_it(tmp_path):
    key_file = tmp_path / "var" / "secret_key"
    first = ensure_secret_key(key_file)
    assert len(first) >= 50 and first != PUBLISHED
    assert key_file.read_text() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ensure_secret_key(key_file) == first  # the next run
    # Another install gets another key.
    assert ensure_secret_key(tmp_path / "other" / "secret_key") != first


def test_a_key_in_the_environment_wins(tmp_path):
    key_file = tmp_path / "secret_key"
    assert (
        ensure_secret_key(key_file, DJANGO_SECRET_KEY="from-the-environment")
        == "from-the-environment"
    )
    assert not key_file.exists()


def test_bin_run_uses_it():
    run = (ROOT / "bin" / "run").read_text()
    assert "source bin/lib/secret_key.sh" in run
    assert run.index("ensure_secret_key var/secret_key") < run.index("python manage.py migrate")


def settings_secret_key() -> str:
    """SECRET_KEY as a new process's settings make it without DJANGO_SECRET_KEY."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "fluxweb.settings"},
    )
    return done.stdout.strip()


def test_without_a_key_settings_never_fall_back_to_a_published_one():
    first, second = settings_secret_key(), settings_secret_key()
    assert PUBLISHED not in (first, second)
    assert first != second  # made at random for the process, not written in the code
    assert "django-insecure" not in (ROOT / "fluxweb" / "settings.py").read_text()
