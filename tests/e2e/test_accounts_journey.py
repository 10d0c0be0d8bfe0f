"""Accounts in a browser: an admin invites someone who joins and starts with the default
budget; a deactivated member cannot log in and their token is refused; a new person
signs in by single sign-on against a real OpenID Connect provider on loopback; a member
resets a forgotten password through a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from email import message_from_bytes

import httpx
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from fluxweb.accounts.models import Invitation
from fluxweb.api.models import ApiToken
from fluxweb.budgets.models import BudgetDefaults, Quota
from tests.e2e.conftest import ARTIFACTS, App
from tests.emulators.server import serve
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider
from tests.processes import app_env, web_server
from tests.smtp import smtp_inbox

User = get_user_model()


@pytest.fixture
def default_budget() -> Decimal:
    defaults = BudgetDefaults.load()
    defaults.budget_usd = Decimal("3.50")
    defaults.save()
    return defaults.budget_usd


def test_admin_invites_and_the_invitee_joins_with_the_default_budget(app, default_budget):
    User.objects.create_user("root", "root@example.com", "root-password-123", is_staff=True)
    admin = app.login("root", "root-password-123")
    admin.goto(f"{app.base_url}/accounts/invitations/")
    admin.get_by_label("Email addresses").fill("ivy@example.com")
    admin.get_by_role("button", name="Invite").click()
    link = admin.locator("code[data-invitation-link]").inner_text()
    assert link.startswith(app.base_url)

    invitee = app.browser.new_context().new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join fluxweb")).to_be_visible()
    invitee.get_by_label("Username").fill("ivy")
    invitee.get_by_label("Password", exact=True).fill("ivy-pass-phrase-42")
    invitee.get_by_label("Password (again)").fill("ivy-pass-phrase-42")
    invitee.get_by_role("button", name="Create account").click()
    invitee.wait_for_url(f"{app.base_url}/")
    invitee.context.close()

    page = app.login("ivy", "ivy-pass-phrase-42")
    expect(page.locator("#budget-remaining")).to_contain_text("$3.50")
    ivy = User.objects.get(username="ivy")
    assert (
        ivy.email == "ivy@example.com" and Quota.objects.get(user=ivy).budget_usd == default_budget
    )
    assert Invitation.objects.get().accepted_by == ivy

    # The link was single-use.
    again = app.browser.new_context().new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This invitation is not valid")).to_be_visible()


def test_a_member_deactivated_on_the_members_page_is_refused_at_login_and_by_the_api(app):
    dan = User.objects.create_user("dan", "dan@example.com", "dan-password-123")
    _, secret = ApiToken.issue(dan, "script")
    auth = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{app.base_url}/v1/models", headers=auth).status_code == 200
    session = app.login("dan", "dan-password-123")

    User.objects.create_user("root", "root@example.com", "root-password-123", is_staff=True)
    admin = app.login("root", "root-password-123")
    admin.get_by_role("link", name="Members").click()
    row = admin.locator("tr", has=admin.get_by_role("rowheader", name="dan"))
    row.get_by_role("button", name="Deactivate").click()
    row = admin.locator("tr", has=admin.get_by_role("rowheader", name="dan"))
    expect(row).to_contain_text("Deactivated.")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()

    assert httpx.get(f"{app.base_url}/v1/models", headers=auth).status_code == 401
    session.reload()
    assert "/accounts/login/" in session.url  # the open session ended
    page = app.browser.new_context().new_page()
    page.goto(f"{app.base_url}/accounts/login/")
    page.get_by_label("Username").fill("dan")
    page.get_by_label("Password").fill("dan-password-123")
    page.get_by_role("button", name="Log in").click()
    assert "/accounts/login/" in page.url or "/accounts/inactive/" in page.url
    expect(page.locator(".site-header__nav")).to_have_count(0)


@pytest.fixture
def sso(browser, tmp_path) -> Iterator[tuple[App, OIDCProvider]]:
    """fluxweb with single sign-on against a local provider, and password login off."""
    provider = OIDCProvider(
        {
            "sub": "u-1001",
            "email": "sam@example.com",
            "email_verified": True,
            "preferred_username": "sam",
            "name": "Sam Park",
        }
    )
    with serve(provider) as issuer:
        provider.base_url = issuer
        env = app_env(
            OIDC_SERVER_URL=issuer,
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_PROVIDER_NAME="Test ID",
            OIDC_ALLOWED_DOMAINS="example.com",
            FLUXWEB_PASSWORD_LOGIN="0",
        )
        with web_server(env, tmp_path / "web.log") as base_url:
            yield App(base_url, browser), provider


def test_a_new_person_signs_in_by_single_sign_on_with_the_default_budget(sso, default_budget):
    app, provider = sso
    page = app.browser.new_context().new_page()
    page.goto(f"{app.base_url}/")
    expect(page.get_by_label("Username")).to_have_count(0)  # password login is off
    page.get_by_role("button", name="Sign in with Test ID").click()
    expect(page.get_by_role("heading", name="Test ID")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{app.base_url}/")
    expect(page.locator(".site-header__user")).to_have_text("sam")
    expect(page.locator("#budget-remaining")).to_contain_text("$3.50")

    sam = User.objects.get(email="sam@example.com")
    assert Quota.objects.get(user=sam).budget_usd == default_budget
    assert provider.token_requests == 1


@pytest.fixture
def mailed_app(browser, tmp_path) -> Iterator[tuple[App, list[bytes]]]:
    """fluxweb whose EMAIL_URL names a real SMTP server on loopback (aiosmtpd), and that
    server's inbox."""
    with smtp_inbox() as (port, inbox):
        env = app_env(EMAIL_URL=f"smtp://127.0.0.1:{port}")
        with web_server(env, tmp_path / "web.log") as base_url:
            yield App(base_url, browser), inbox


def test_a_member_resets_a_forgotten_password_by_email(mailed_app):
    app, inbox = mailed_app
    User.objects.create_user("fay", "fay@example.com", "fay-old-password-1")
    page = app.browser.new_context().new_page()
    page.goto(f"{app.base_url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("fay@example.com")
    page.get_by_role("button", name=re.compile("reset", re.I)).click()
    page.wait_for_url(f"{app.base_url}/accounts/password/reset/done/")
    page.screenshot(path=str(ARTIFACTS / "issue15-password-reset-sent.png"))

    (raw,) = inbox
    message = message_from_bytes(raw)
    assert message["To"] == "fay@example.com"
    part = message if not message.is_multipart() else message.get_payload(0)
    link = re.search(
        r"https?://\S+/accounts/password/reset/key/\S+/", part.get_payload(decode=True).decode()
    )
    assert link, "no reset link in the email"
    page.goto(link.group(0))
    page.get_by_label("New Password", exact=True).fill("fay-new-password-2")
    page.get_by_label("New Password (again)").fill("fay-new-password-2")
    page.get_by_role("button", name=re.compile("password", re.I)).click()
    page.wait_for_url(f"{app.base_url}/accounts/password/reset/key/done/")
    expect(page.locator("main")).to_contain_text("password is now changed")
    page.screenshot(path=str(ARTIFACTS / "issue15-password-reset-done.png"))
    page.context.close()

    assert app.login("fay", "fay-new-password-2").url == f"{app.base_url}/"
