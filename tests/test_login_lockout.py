"""Password guessing is locked out per username, whatever X-Forwarded-For says, through the
web server as the Procfile runs it; admins unlock a member on the members page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.test import Client

from tests.processes import app_env, procfile_web

PASSWORD = "bob-password-123"
# Django's default hashers: the server process does not know the tests' fast MD5 one.
DEFAULT_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


def log_in(
    client: httpx.Client, username: str, password: str, forwarded_for: str | None = None
) -> httpx.Response:
    """Post the login form as a browser would (CSRF token from the page)."""
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/accounts/login/",
        data={"login": username, "password": password, "csrfmiddlewaretoken": token},
        headers=headers,
    )


def logged_in(response: httpx.Response) -> bool:
    return response.status_code == 302 and "/accounts/login/" not in response.headers["location"]


@pytest.fixture
def bob(member, settings):
    settings.PASSWORD_HASHERS = DEFAULT_HASHERS
    member.password = make_password(PASSWORD)
    member.save(update_fields=["password"])
    return member


@pytest.fixture
def web(tmp_path) -> Iterator[str]:
    """The Procfile's web command (uvicorn), FORWARDED_ALLOW_IPS unset."""
    env = app_env()
    env.pop("FORWARDED_ALLOW_IPS", None)
    with procfile_web(env, tmp_path / "web.log") as base_url:
        yield base_url


def guess_with_rotating_addresses(client: httpx.Client, username: str) -> list[int]:
    return [
        log_in(client, username, f"guess-{i}", forwarded_for=f"198.18.0.{i}").status_code
        for i in range(20)
    ]


def addresses_tried(username: str) -> set[str]:
    """The client addresses the failed logins for ``username`` were counted against."""
    return set(AccessAttempt.objects.filter(username=username).values_list("ip_address", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_client_rotating_x_forwarded_for_is_locked_out_and_an_admin_unlocks(
    bob, web, django_user_model
):
    # The client is not a trusted proxy (it connects from 127.0.0.2): its header is ignored.
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=web, transport=transport, timeout=30) as client:
        statuses = guess_with_rotating_addresses(client, "bob")
        assert 429 in statuses
        assert addresses_tried("bob") == {"127.0.0.2"}
        refused = log_in(client, "bob", PASSWORD, forwarded_for="198.18.1.1")
        assert not logged_in(refused)
        assert refused.status_code == 429
        assert "Too many failed logins" in refused.text

        admin = django_user_model.objects.create_user(
            "ada", password="ada-password-123", is_staff=True
        )
        admin_client = Client()
        admin_client.force_login(admin)
        page = admin_client.get("/team/").content.decode()
        assert f"/team/members/{bob.pk}/unlock/" in page and "locked out" in page
        answer = admin_client.post(f"/team/members/{bob.pk}/unlock/", follow=True)
        assert "Unlocked bob." in answer.content.decode()
        assert f"/team/members/{bob.pk}/unlock/" not in admin_client.get("/team/").content.decode()

        assert logged_in(log_in(client, "bob", PASSWORD))


@pytest.mark.django_db(transaction=True)
def test_guesses_through_a_trusted_proxy_from_many_addresses_lock_the_username(bob, web):
    # From 127.0.0.1 (the default trusted proxy) X-Forwarded-For is believed: each guess
    # comes from another address, and the per-username lock still trips.
    with httpx.Client(base_url=web, timeout=30) as client:
        assert 429 in guess_with_rotating_addresses(client, "bob")
        assert len(addresses_tried("bob")) > 1
        assert addresses_tried("bob") <= {f"198.18.0.{i}" for i in range(20)}
        assert not logged_in(log_in(client, "bob", PASSWORD, forwarded_for="198.18.1.1"))


@pytest.mark.django_db
def test_changing_the_usernames_case_counts_against_the_same_account(member, settings):
    settings.AXES_FAILURE_LIMIT = 3
    guesser = Client()
    for name in ("bob", "Bob", "BOB", "bOb"):
        guesser.post("/accounts/login/", {"login": name, "password": "wrong"})
    locked = guesser.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in guesser.session


@pytest.mark.django_db
def test_the_lockout_page_says_what_happened_and_for_how_long(member, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        client.post("/accounts/login/", {"login": "bob", "password": "wrong"})
    page = client.post("/accounts/login/", {"login": "bob", "password": "wrong"}).content.decode()
    assert "locked after 2 wrong passwords" in page
    assert "15 minutes" in page
    assert "admin" in page


@pytest.mark.django_db
def test_a_cool_off_of_a_day_or_more_is_told_in_full(member, settings):
    # timedelta.seconds is only the part below a day: a one-day cool-off said "0 minutes".
    settings.AXES_FAILURE_LIMIT = 1
    settings.AXES_COOLOFF_TIME = timedelta(days=1, minutes=30)
    client = Client()
    client.post("/accounts/login/", {"login": "bob", "password": "wrong"})
    page = client.post("/accounts/login/", {"login": "bob", "password": "wrong"}).content.decode()
    assert "stays locked for 1470 minutes" in page
