"""Security properties across the whole app: login everywhere, admin closed to members,
object access, CSRF on HTMX posts, inert user text, no secrets in output, login throttling,
and a Content-Security-Policy the pages actually satisfy."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from fluxweb.gallery.live import changes_since
from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from tests.factories import make_generation
from tests.urlconf import Route, routes

pytestmark = pytest.mark.django_db

# Reachable without logging in, and why.
PUBLIC = {
    "account_login": "the login page",
    "admin:login": "the admin's login page",
    "account_logout": "POST-only; logging out anonymously does nothing",
    "account_inactive": "tells a deactivated member why they cannot log in",
    "account_signup": "sign-up, closed without an invitation (tests/test_accounts.py)",
    "accounts:accept": "an invitation link (tests/test_accounts.py)",
    "account_reset_password": "asking for a password-reset email",
    "account_reset_password_done": "says the email was sent",
    "account_reset_password_from_key": "a password-reset link (tests/test_accounts.py)",
    "account_reset_password_from_key_done": "says the password was changed",
    "socialaccount_login_cancelled": "single sign-on was cancelled at the provider",
    "socialaccount_login_error": "single sign-on failed at the provider",
    "socialaccount_signup": "single sign-on sign-up, closed without a pending SSO login",
    "openid_connect_login": "starts single sign-on (tests/e2e/test_accounts_journey.py)",
    "openid_connect_callback": "the provider's redirect back (tests/e2e/test_accounts_journey.py)",
    "ops:healthz": "the platform's health check",
    "api:openapi": "the images API's public description (no data)",
}
# Outside the login session on purpose, because something else authenticates them.
OWN_AUTH = {
    "api:images-generations": "a bearer API token (tests/api/test_images_api.py)",
    "api:models": "a bearer API token",
    "api:image-link": "a signed link that expires (FLUXWEB_API_LINK_TTL)",
}
ALL_ROUTES = list(routes())


def test_the_route_list_covers_the_app():
    names = {route.name for route in ALL_ROUTES}
    assert {
        "gallery:home",
        "gallery:events",
        "gallery:image",
        "generations:create",
        "admin:index",
    } <= names
    assert set(PUBLIC) <= names


@pytest.mark.parametrize(
    "route", [r for r in ALL_ROUTES if r.name not in {*PUBLIC, *OWN_AUTH}], ids=lambda r: r.name
)
def test_every_view_requires_login(route: Route):
    for method in ("get", "post"):
        response = getattr(Client(), method)(route.path)
        assert response.status_code == 302, (
            f"{method.upper()} {route.path} → {response.status_code}"
        )
        logins = (reverse("account_login") + "?next=", reverse("admin:login") + "?next=")
        assert response["Location"].startswith(logins if route.is_admin else logins[:1]), response[
            "Location"
        ]


@pytest.mark.parametrize(
    "route", [r for r in ALL_ROUTES if r.name in OWN_AUTH], ids=lambda r: r.name
)
def test_token_and_link_views_refuse_anonymous_callers(route: Route):
    for method in ("get", "post"):
        response = getattr(Client(), method)(route.path)
        assert response.status_code in (401, 404, 405), (
            f"{method.upper()} {route.path} → {response.status_code}"
        )


# admin:logout only ends the member's session and sends them back; it shows nothing.
@pytest.mark.parametrize(
    "route",
    [r for r in ALL_ROUTES if r.is_admin and r.name not in {*PUBLIC, "admin:logout"}],
    ids=lambda r: r.name,
)
def test_members_cannot_reach_admin_pages(route: Route, member_client):
    response = member_client.get(route.path)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- Object access (IDOR) ----------------------------------------------------------------
# Every non-admin URL that names an object must be listed in exactly one of these, so a
# new view cannot slip in unclassified (test_every_object_url_is_classified).
# The team gallery is shared on purpose: every member sees every card and image.
# Starring is per member, on a shared generation.
SHARED_WITH_MEMBERS = {
    "gallery:card",
    "gallery:image",
    "gallery:thumbnail",
    "gallery:download",
    "generations:detail",
    "gallery:favourite",
    "gallery:step",
}
SSO_JOURNEY = "one provider, configured in settings (tests/e2e/test_accounts_journey.py)"
# Object URLs whose object is not a generation, with the test that covers their access rule.
COVERED_ELSEWHERE = {
    "generations:cancel": (
        "tests/test_cancel_retry.py::test_only_the_author_and_admins_may_cancel_or_retry"
    ),
    "generations:retry": (
        "tests/test_cancel_retry.py::test_only_the_author_and_admins_may_cancel_or_retry"
    ),
    # A compare batch is shared with the team like its cells (the gallery's rule).
    "generations:batch": "tests/test_compare.py::test_every_member_sees_every_batch",
    "generations:batch_grid": "tests/test_compare.py::test_every_member_sees_every_batch",
    "ops:use_reported_rate": (
        "tests/test_provider_stats.py::test_use_reported_rate_is_staff_only_and_post_only"
    ),
    "accounts:revoke-invitation": "tests/test_accounts.py::test_only_admins_invite",
    "accounts:accept": "tests/test_accounts.py::test_an_invitation_link_works_once",
    "account_reset_password_from_key": "tests/test_accounts.py::test_password_reset_by_email",
    "openid_connect_login": SSO_JOURNEY,
    "openid_connect_callback": SSO_JOURNEY,
    "api:revoke-token": "tests/api/test_tokens.py::test_member_revokes_own_token_but_not_others",
    "api:image-link": (
        "tests/api/test_images_api.py::test_url_format_returns_a_working_short_lived_link"
    ),
    **dict.fromkeys(
        [
            "team:member",
            "team:edit",
            "team:add_limit",
            "team:delete_limit",
            "team:active",
            "team:password_reset",
            "team:unlock",
            "team:team",
        ],
        "tests/test_team_pages.py::test_members_cannot_reach_any_team_page (admins only)",
    ),
}


@dataclass(frozen=True)
class OwnerOnly:
    """A view only a generation's author may use. ``method``/``data`` are how it is
    called; a non-author must get 403 or 404 and the generation must stay as it was."""

    name: str
    method: str = "post"
    data: dict[str, str] = field(default_factory=dict)


# Delete is the author's (or an admin's); pinning is admins' only, so a member who is
# not the author is refused both.
OWNER_ONLY: list[OwnerOnly] = [
    OwnerOnly("generations:delete"),
    OwnerOnly("generations:pin", data={"pinned": "1"}),
]


def test_every_object_url_is_classified():
    object_routes = {r.name for r in ALL_ROUTES if r.has_object and not r.is_admin}
    classified = SHARED_WITH_MEMBERS | set(COVERED_ELSEWHERE) | {entry.name for entry in OWNER_ONLY}
    assert object_routes == classified, (
        "classify new object URLs in SHARED_WITH_MEMBERS, OWNER_ONLY or COVERED_ELSEWHERE"
    )


@pytest.mark.parametrize("action", OWNER_ONLY, ids=lambda a: a.name)
def test_members_cannot_act_on_others_generations(action: OwnerOnly, member, django_user_model):
    generation = make_generation(member, status=Generation.Status.SUCCEEDED)
    intruder = Client()
    intruder.force_login(
        django_user_model.objects.create_user("mallory", password="mallory-password-1")
    )
    before = Generation.objects.filter(pk=generation.pk).values().get()
    response = getattr(intruder, action.method)(
        reverse(action.name, kwargs={"pk": generation.pk}), action.data
    )
    assert response.status_code in (403, 404)
    assert Generation.objects.filter(pk=generation.pk).values().first() == before


def test_shared_object_views_show_other_members_work(member, django_user_model):
    generation = make_generation(member, status=Generation.Status.SUCCEEDED)
    colleague = Client()
    colleague.force_login(
        django_user_model.objects.create_user("carol", password="carol-password-1")
    )
    assert colleague.get(reverse("gallery:card", kwargs={"pk": generation.pk})).status_code == 200


# --- CSRF ----------------------------------------------------------------------------------
VALID_SUBMISSION = {
    "prompt": "A red kite over hills",
    "model": "demo/placeholder",
    "width": 256,
    "height": 256,
    "num_images": 1,
}


def test_htmx_posts_need_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    page = client.get("/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)

    refused = client.post("/generations/new/", VALID_SUBMISSION, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    assert not Generation.objects.exists()

    accepted = client.post(
        "/generations/new/", VALID_SUBMISSION, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert Generation.objects.count() == 1


def test_logout_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post("/accounts/logout/").status_code == 403


# --- User text is inert everywhere ---------------------------------------------------------
HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def admin_client_(django_user_model) -> Client:
    client = Client()
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.com", "root-password-1")
    )
    return client


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html


def test_a_hostile_prompt_is_inert_in_gallery_card_stream_and_admin(
    member_client, member, admin_client_
):
    generation = make_generation(
        member, prompt=HOSTILE, status=Generation.Status.FAILED, error=HOSTILE
    )
    assert_inert(member_client.get("/").content.decode())
    assert_inert(member_client.get(f"/gallery/cards/{generation.pk}/").content.decode())
    (event,) = changes_since(None)
    assert_inert(event.encode())
    for path in (
        "/admin/generations/generation/",
        f"/admin/generations/generation/{generation.pk}/change/",
        "/admin/generations/prompt/",
        f"/admin/generations/prompt/{generation.prompt_id}/change/",
    ):
        response = admin_client_.get(path)
        assert response.status_code == 200
        assert "<script>alert" not in response.content.decode(), path


# --- Provider keys never leak --------------------------------------------------------------
SECRET_KEY = "sk-live-do-not-leak-0123456789"


@pytest.mark.parametrize(
    "fault", [None, "401", "422", "429", "500", "malformed", "not-image", "wrong-key", "down"]
)
def test_provider_keys_never_appear_in_pages_logs_or_errors(
    fault, deepinfra, settings, member_client, caplog, admin_client_
):
    settings.DEEPINFRA_API_KEY = SECRET_KEY
    deepinfra.api_key = SECRET_KEY if fault != "wrong-key" else "another-key"
    if fault == "down":
        settings.DEEPINFRA_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    elif fault not in (None, "wrong-key"):
        deepinfra.fault = fault
    for name in (None, "httpx", "httpcore", "fluxweb"):
        caplog.set_level(logging.DEBUG, logger=name)
    response = member_client.post(
        "/generations/new/",
        {
            **VALID_SUBMISSION,
            "model": "deepinfra/flux-1-schnell",
            "num_inference_steps": 1,
        },
    )
    assert response.status_code == 302
    generation = run_generation(Generation.objects.latest("id").pk)
    assert generation.status == (
        Generation.Status.SUCCEEDED if fault is None else Generation.Status.FAILED
    )
    outputs = {
        "error": generation.error,
        "logs": caplog.text + " ".join(str(record.__dict__) for record in caplog.records),
        "gallery": member_client.get("/").content.decode(),
        "admin": admin_client_.get(
            f"/admin/generations/generation/{generation.pk}/change/"
        ).content.decode(),
    }
    for where, text in outputs.items():
        assert SECRET_KEY not in text, where
    assert any(r.getMessage().startswith(f"generation={generation.pk} ") for r in caplog.records)


# --- Login throttling (django-axes) --------------------------------------------------------
def test_password_guessing_is_locked_out_per_user_and_address(member, settings):
    settings.AXES_FAILURE_LIMIT = 5
    guesser = Client()
    statuses = [
        guesser.post("/accounts/login/", {"login": "bob", "password": f"guess-{i}"}).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    # Even the right password is refused while locked out.
    locked = guesser.post("/accounts/login/", {"login": "bob", "password": "bob-password-123"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in guesser.session
    # A colleague at the same address still gets in.
    get_user_model().objects.create_user("alice", password="alice-password-123")
    colleague = Client()
    assert (
        colleague.post(
            "/accounts/login/", {"login": "alice", "password": "alice-password-123"}
        ).status_code
        == 302
    )


def test_a_correct_login_works_and_resets_the_count(member):
    client = Client()
    client.post("/accounts/login/", {"login": "bob", "password": "wrong"})
    assert (
        client.post(
            "/accounts/login/", {"login": "bob", "password": "bob-password-123"}
        ).status_code
        == 302
    )


# --- Content-Security-Policy ---------------------------------------------------------------
def test_pages_carry_a_csp_and_satisfy_it(member_client, member, admin_client_):
    make_generation(member, status=Generation.Status.SUCCEEDED)
    for client, path in (
        (Client(), "/accounts/login/"),
        (member_client, "/"),
        (admin_client_, "/admin/"),
    ):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "'unsafe-inline'" not in policy
            and "'unsafe-eval'" not in policy
        )
        assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
        assert not re.search(r"\son\w+=", html), f"inline event handler on {path}"
        if path != "/admin/":
            assert not re.search(r"<style|\sstyle=", html), f"inline style on {path}"
    assert '"includeIndicatorStyles": false' in member_client.get("/").content.decode()
