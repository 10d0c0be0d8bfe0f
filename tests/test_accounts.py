"""Accounts: invitations, sign-up only by invitation, the default budget for new members,
deactivation, password reset by email (Django's outbox, and once through a real SMTP
server), single sign-on settings and the password-login switch."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from fluxweb.accounts.adapters import email_domain_allowed
from fluxweb.accounts.models import Invitation
from fluxweb.api.models import ApiToken
from fluxweb.budgets.models import BudgetDefaults, Quota
from tests.emulators.server import serve
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider
from tests.smtp import smtp_inbox
from tests.test_production_settings import manage, production_env

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def admin_client(django_user_model) -> Client:
    client = Client()
    client.force_login(
        django_user_model.objects.create_user(
            "root", "root@example.com", "root-password-1", is_staff=True
        )
    )
    return client


def invite_links(response) -> list[str]:
    return re.findall(r"<code data-invitation-link>([^<]+)</code>", response.content.decode())


def link_path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_only_admins_invite(admin_client, member_client):
    assert member_client.get("/accounts/invitations/").status_code == 403
    assert (
        member_client.post("/accounts/invitations/", {"emails": "x@example.com"}).status_code == 403
    )
    assert not Invitation.objects.exists()

    response = admin_client.post(
        "/accounts/invitations/", {"emails": "Ann@example.com, cy@example.com\nann@example.com"}
    )
    links = invite_links(response)
    assert len(links) == 2 and sorted(Invitation.objects.values_list("email", flat=True)) == [
        "ann@example.com",
        "cy@example.com",
    ]
    # Emailed (the test outbox counts as configured email) and shown to copy, once.
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "cy@example.com"]
    for message in mail.outbox:
        assert any(link in message.body for link in links)
    assert not invite_links(admin_client.get("/accounts/invitations/"))
    # Keys are stored hashed only.
    for invitation in Invitation.objects.all():
        assert all(link.rstrip("/").rsplit("/", 1)[1] != invitation.key_hash for link in links)

    invitation = Invitation.objects.get(email="cy@example.com")
    assert member_client.post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 403
    admin_client.post(f"/accounts/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    cy_link = next(
        link for link in links if Invitation.find_usable(link.rstrip("/").rsplit("/", 1)[1]) is None
    )
    assert Client().get(link_path(cy_link)).status_code == 410


def test_invitation_form_rejects_bad_addresses(admin_client):
    response = admin_client.post(
        "/accounts/invitations/", {"emails": "ok@example.com, not-an-address"}
    )
    assert response.status_code == 200 and "not an email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_link_works_once(admin_client):
    defaults = BudgetDefaults.load()
    defaults.budget_usd = Decimal("7.25")
    defaults.images_per_day = 12
    defaults.save()
    link = link_path(
        invite_links(admin_client.post("/accounts/invitations/", {"emails": "dee@example.com"}))[0]
    )

    invitee = Client()
    response = invitee.get(link)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/"
    page = invitee.get("/accounts/signup/").content.decode()
    assert "dee@example.com" in page
    response = invitee.post(
        "/accounts/signup/",
        {
            "username": "dee",
            "email": "someone-else@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dee = User.objects.get(username="dee")
    assert dee.email == "dee@example.com"  # the invitation's address, whatever was posted
    quota = Quota.objects.get(user=dee)
    assert (quota.budget_usd, quota.images_per_day) == (Decimal("7.25"), 12)
    invitation = Invitation.objects.get()
    assert invitation.state == "accepted" and invitation.accepted_by == dee
    assert (
        Client()
        .post("/accounts/login/", {"login": "dee", "password": "a-long-pass-phrase-9"})
        .status_code
        == 302
    )

    # The same link again: refused.
    assert Client().get(link).status_code == 410


def test_expired_invitation_is_refused(admin_client):
    sent = timezone.now()
    link = link_path(
        invite_links(admin_client.post("/accounts/invitations/", {"emails": "old@example.com"}))[0]
    )
    valid_for = Invitation.objects.get().expires_at - sent
    assert timedelta(days=7) <= valid_for < timedelta(days=7, minutes=1)  # the default
    assert Client().get(link).status_code == 302  # still usable
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(link).status_code == 410


def test_signup_is_closed_without_an_invitation():
    client = Client()
    assert "Invitation needed" in client.get("/accounts/signup/").content.decode()
    client.post(
        "/accounts/signup/",
        {
            "username": "eve",
            "email": "eve@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert not User.objects.filter(username="eve").exists()


def test_deactivated_member_cannot_log_in_and_their_token_stops_working(member, member_client):
    _, secret = ApiToken.issue(member, "script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/v1/models", **auth).status_code == 200

    member.is_active = False
    member.save()

    assert Client().get("/v1/models", **auth).status_code == 401
    login = Client()
    login.post("/accounts/login/", {"login": "bob", "password": "bob-password-123"})
    assert "_auth_user_id" not in login.session
    # An open session ends too.
    response = member_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def reset_password_through(link: str, new_password: str) -> None:
    client = Client()
    response = client.get(link_path(link))
    assert response.status_code == 302  # allauth moves the key out of the URL into the session
    response = client.post(
        response["Location"], {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # The link is spent.
    assert "Bad Token" in Client().get(link_path(link), follow=True).content.decode()


def test_password_reset_by_email(member):
    Client().post("/accounts/password/reset/", {"email": "bob@example.com"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@example.com"]
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)

    reset_password_through(link, "a-new-pass-phrase-7")

    client = Client()
    assert (
        client.post(
            "/accounts/login/", {"login": "bob", "password": "bob-password-123"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/accounts/login/", {"login": "bob", "password": "a-new-pass-phrase-7"}
        ).status_code
        == 302
    )


def test_password_reset_for_an_unknown_address_sends_nothing_useful(member):
    Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert all("/password/reset/key/" not in m.body for m in mail.outbox)


def test_password_reset_through_a_real_smtp_server(member, settings):
    with smtp_inbox() as (port, messages):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        Client().post("/accounts/password/reset/", {"email": "bob@example.com"})
    assert len(messages) == 1
    message = message_from_bytes(messages[0])
    assert message["To"] == "bob@example.com"
    body = (
        message.get_payload(decode=True).decode()
        if not message.is_multipart()
        else message.get_payload(0).get_payload(decode=True).decode()
    )
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", body).group(0)
    reset_password_through(link, "smtp-pass-phrase-5")
    member.refresh_from_db()
    assert member.check_password("smtp-pass-phrase-5")


def test_account_page_links_password_tokens_and_usage(member_client):
    page = member_client.get("/accounts/me/").content.decode()
    for href in ("/accounts/password/change/", "/tokens/", "/usage/"):
        assert f'href="{href}"' in page
    assert 'href="/accounts/me/"' in member_client.get("/").content.decode()


def test_password_change_page_uses_the_site_layout(member_client):
    page = member_client.get("/accounts/password/change/").content.decode()
    assert 'class="site-header"' in page and "Django administration" not in page


def test_single_sign_on_button_and_password_switch(settings, member):
    assert "Sign in with" not in Client().get("/accounts/login/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Acme ID",
                    "client_id": "c",
                    "secret": "s",
                    "settings": {"server_url": "http://127.0.0.1:9/"},
                }
            ]
        }
    }
    settings.FLUXWEB_PASSWORD_LOGIN = False
    page = Client().get("/accounts/login/").content.decode()
    assert "Sign in with Acme ID" in page and "Username" not in page
    client = Client()
    client.post("/accounts/login/", {"login": "bob", "password": "bob-password-123"})
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("email", "domains", "allowed"),
    [
        ("ann@example.com", [], True),
        ("ann@example.com", ["example.com"], True),
        ("ann@EXAMPLE.com", ["example.com"], True),
        ("ann@evil-example.com", ["example.com"], False),
        ("ann@example.com.evil.net", ["example.com"], False),
        ("", ["example.com"], False),
        ("@example.com", ["example.com"], False),
    ],
)
def test_sso_sign_up_domains(settings, email, domains, allowed):
    settings.OIDC_ALLOWED_DOMAINS = domains
    assert email_domain_allowed(email) is allowed


@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        (
            "smtp://mailer:p%40ss@mail.example.com:2525/?tls=True",
            {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "host": "mail.example.com",
                "port": 2525,
                "username": "mailer",
                "password": "p@ss",
                "use_tls": True,
                "use_ssl": False,
            },
        ),
        ("console:", {"BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        # Unset in production: mail is dropped, never logged (reset links are secrets).
        ("", {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}),
    ],
)
@pytest.mark.django_db(transaction=True)  # the child process opens the test database
def test_email_is_configured_by_email_url_and_default_from_email(tmp_path, email_url, expected):
    """EMAIL_URL (dj-email-url's format) and DEFAULT_FROM_EMAIL, read the way a deployment
    reads them: production settings in a child process with only environment variables."""
    env = production_env(tmp_path, DEFAULT_FROM_EMAIL="Studio <studio@example.com>")
    env.pop("EMAIL_URL", None)
    if email_url:
        env["EMAIL_URL"] = email_url
    code = (
        "import json; from django.conf import settings; m = settings.MAILERS['default']; "
        "print(json.dumps({'BACKEND': m['BACKEND'], **m['OPTIONS'], "
        "'from': settings.DEFAULT_FROM_EMAIL}))"
    )
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found.pop("from") == "Studio <studio@example.com>"
    assert {key: found.get(key) for key in expected} == expected


@pytest.fixture
def outside_sso(settings):
    """Single sign-on against a local provider whose person is outside the allowed domains."""
    provider = OIDCProvider(
        {
            "sub": "u-2002",
            "email": "pat@partner.example.org",
            "email_verified": True,
            "preferred_username": "pat",
        }
    )
    with serve(provider) as issuer:
        provider.base_url = issuer
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "sso",
                        "name": "Test ID",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": issuer},
                    }
                ],
            }
        }
        settings.OIDC_ALLOWED_DOMAINS = ["example.com"]
        settings.FLUXWEB_PASSWORD_LOGIN = False
        yield provider


def sign_in_by_sso(client: Client) -> None:
    """Press "Sign in with Test ID", consent at the provider, come back to the callback."""
    to_provider = client.post("/accounts/oidc/sso/login/")
    assert to_provider.status_code == 302, to_provider.content.decode()[:500]
    authorize = urlsplit(to_provider["Location"])
    consent = httpx.post(
        f"{authorize.scheme}://{authorize.netloc}/authorize",
        data={k: v[0] for k, v in parse_qs(authorize.query).items()},
    )
    assert consent.status_code == 302
    client.get(link_path(consent.headers["Location"]), follow=True)


def test_an_invitation_lets_its_invitee_join_by_single_sign_on(admin_client, outside_sso):
    defaults = BudgetDefaults.load()
    defaults.budget_usd = Decimal("4.75")
    defaults.save()
    stranger = Client()
    sign_in_by_sso(stranger)  # outside OIDC_ALLOWED_DOMAINS and not invited: refused
    assert not User.objects.filter(email="pat@partner.example.org").exists()

    link = link_path(
        invite_links(
            admin_client.post("/accounts/invitations/", {"emails": "pat@partner.example.org"})
        )[0]
    )
    invitee = Client()
    page = invitee.get(link, follow=True).content.decode()
    assert "Sign in with Test ID" in page and "Choose a username" not in page
    sign_in_by_sso(invitee)
    pat = User.objects.get(email="pat@partner.example.org")
    assert invitee.session["_auth_user_id"] == str(pat.pk)
    assert Quota.objects.get(user=pat).budget_usd == Decimal("4.75")
    assert Invitation.objects.get().accepted_by == pat


def test_the_login_page_links_password_reset_once():
    page = Client().get("/accounts/login/").content.decode()
    assert page.count('href="/accounts/password/reset/"') == 1  # under the password field
