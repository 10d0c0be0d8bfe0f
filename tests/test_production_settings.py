"""Production settings (DJANGO_DEBUG=0), checked the way a deployment runs them: in a
child process with only environment variables."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import httpx
import pytest

from tests.processes import ROOT, app_env, web_server


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    return app_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,fluxweb.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://fluxweb.example.com",
        DJANGO_STATIC_ROOT=str(tmp_path / "staticfiles"),
        **extra,
    )


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.django_db(transaction=True)  # the child process opens the test database
def test_check_deploy_is_clean(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_names_every_missing_variable(tmp_path):
    env = production_env(tmp_path)
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
        env.pop(name)
    result = manage(env, "check")
    assert result.returncode != 0
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
        assert f"  {name}: " in result.stderr
    assert "docs/deployment.md" in result.stderr


def test_bad_values_are_refused_by_name(tmp_path):
    result = manage(production_env(tmp_path, LOG_FORMAT="xml"), "check")
    assert result.returncode != 0 and "LOG_FORMAT" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_debug_off_serves_collected_static_files_over_https_only(tmp_path):
    env = production_env(tmp_path)
    collected = manage(env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    with web_server(env, tmp_path / "web.log") as base_url:
        https = {"X-Forwarded-Proto": "https"}  # as the platform's TLS proxy sends it
        page = httpx.get(f"{base_url}/accounts/login/", headers=https)
        assert page.status_code == 200
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert "Secure" in page.headers["Set-Cookie"]  # the CSRF cookie
        stylesheet = re.search(r'href="(/static/css/fluxweb\.[0-9a-f]+\.css)"', page.text).group(1)
        htmx = re.search(
            r'src="(/static/django_htmx/htmx-2\.min\.[0-9a-f]+\.js)"', page.text
        ).group(1)
        for path in (stylesheet, htmx):
            asset = httpx.get(base_url + path, headers={**https, "Accept-Encoding": "gzip"})
            assert asset.status_code == 200
            assert asset.headers["Content-Encoding"] == "gzip"
            assert "immutable" in asset.headers["Cache-Control"]

        plain = httpx.get(f"{base_url}/accounts/login/")
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        # The platform's health check talks plain HTTP inside its network.
        assert httpx.get(f"{base_url}/healthz").status_code == 200
