"""/healthz: what a platform's health check sees, without logging in."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from fluxweb.generations.models import Generation
from tests.factories import make_generation
from tests.processes import app_env, web_server


@pytest.mark.django_db
def test_healthz_reports_queue_depth_and_oldest_wait_without_login(member):
    waiting = make_generation(member)
    make_generation(member)
    Generation.objects.filter(pk=waiting.pk).update(
        updated_at=timezone.now() - timedelta(seconds=90)
    )
    make_generation(member, status=Generation.Status.RUNNING)  # picked up: not waiting
    make_generation(member, status=Generation.Status.SUCCEEDED)

    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == body["database"] == "ok"
    assert body["queue_depth"] == 2
    assert 90 <= body["oldest_queued_age_s"] < 3600


@pytest.mark.django_db
def test_healthz_with_an_empty_queue():
    body = Client().get("/healthz").json()
    assert (body["queue_depth"], body["oldest_queued_age_s"]) == (0, None)


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    # A real web process whose database refuses connections (nothing listens on port 9).
    env = app_env(DATABASE_URL="postgres://fluxweb@127.0.0.1:9/fluxweb")
    with web_server(env, tmp_path / "web.log") as base_url:
        response = httpx.get(f"{base_url}/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
