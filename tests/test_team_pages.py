"""The members page (/team/) and teams: admins only, in-place edits, caps picked from the
enabled models, deactivate, password reset, bulk actions, team pools."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from fluxweb.budgets.forms import ModelLimitForm
from fluxweb.budgets.models import Quota, QuotaModelLimit, Team
from fluxweb.budgets.pools import quota_for
from fluxweb.budgets.teams import UnknownModel, set_model_limit
from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from fluxweb.generations.services import delete_generation, submit_generation
from fluxweb.team.forms import LimitForm
from tests.budget_factories import DEMO, set_price, set_quota, submit_data
from tests.test_accounts import reset_password_through
from tests.urlconf import routes

pytestmark = pytest.mark.django_db


def logs_in(username: str, password: str) -> bool:
    """Whether the login form signs these credentials in (the session then has a user)."""
    client = Client()
    client.post("/accounts/login/", {"login": username, "password": password})
    return "_auth_user_id" in client.session


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user(
        "ada", "ada@example.com", "ada-password-123", is_staff=True
    )


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_members_page_is_for_admins_only(member_client, admin_client, member):
    assert member_client.get("/team/").status_code == 403
    assert member_client.post(f"/team/members/{member.pk}/active/").status_code == 403
    page = admin_client.get("/team/")
    assert page.status_code == 200
    assert b"bob" in page.content and b"ada" in page.content


@pytest.mark.parametrize(
    "route",
    [r for r in routes() if r.name.startswith("team:")],
    ids=lambda r: r.name,
)
def test_members_cannot_reach_any_team_page(route, member_client, alice):
    for method in ("get", "post"):
        response = getattr(member_client, method)(route.path)
        assert response.status_code in (403, 405), f"{method.upper()} {route.path}"


def test_search_filters_members(admin_client, member, alice):
    page = admin_client.get("/team/", {"q": "ali"}, headers={"HX-Request": "true"})
    assert b"alice" in page.content and b"bob@example.com" not in page.content


def test_edit_sets_role_budget_and_daily_cap(admin_client, member):
    answer = admin_client.post(
        f"/team/members/{member.pk}/edit/",
        {
            "role": "admin",
            "budget_usd": "12.50",
            "period": "weekly",
            "images_per_day": "7",
        },
        headers={"HX-Request": "true"},  # the edit row's form is htmx's
    )
    assert answer.status_code == 200 and b"Saved." in answer.content
    member.refresh_from_db()
    quota = Quota.objects.get(user=member)
    assert member.is_staff
    assert (quota.budget_usd, quota.period, quota.images_per_day) == (Decimal("12.50"), "weekly", 7)


def test_admin_cannot_demote_or_deactivate_themselves(admin_client, admin_user):
    answer = admin_client.post(
        f"/team/members/{admin_user.pk}/edit/", {"role": "member", "period": "monthly"}
    )
    assert b"own admin role" in answer.content
    answer = admin_client.post(f"/team/members/{admin_user.pk}/active/", follow=True)
    assert b"cannot deactivate yourself" in answer.content
    admin_user.refresh_from_db()
    assert admin_user.is_staff and admin_user.is_active


def test_cap_form_offers_only_enabled_models_and_refuses_others(admin_client, member):
    assert (DEMO, "Demo") in [
        (value, label[:4]) for value, label in LimitForm().fields["model_id"].choices
    ]
    typed = admin_client.post(
        f"/team/members/{member.pk}/limits/", {"model_id": "FLUX.1 [dev]", "images_per_day": 3}
    )
    assert b"Select a valid choice" in typed.content
    assert not QuotaModelLimit.objects.exists()
    admin_client.post(f"/team/members/{member.pk}/limits/", {"model_id": DEMO, "images_per_day": 3})
    assert list(QuotaModelLimit.objects.values_list("model_id", "images_per_day")) == [(DEMO, 3)]


def test_service_and_model_refuse_an_unknown_model(member):
    quota = quota_for(member)
    with pytest.raises(UnknownModel):
        set_model_limit(quota, "FLUX.1 [dev]", 3)
    with pytest.raises(ValidationError):
        QuotaModelLimit(quota=quota, model_id="FLUX.1 [dev]", images_per_day=3).full_clean()
    assert not ModelLimitForm(
        {"model_id": "FLUX.1 [dev]", "images_per_day": 3}, instance=QuotaModelLimit(quota=quota)
    ).is_valid()


def test_cap_of_a_disabled_model_is_shown_as_such_and_stays_valid(admin_client, member):
    quota = quota_for(member)
    limit = QuotaModelLimit.objects.create(quota=quota, model_id="gone/flux-old", images_per_day=2)
    limit.full_clean()  # saved before the model was disabled: still valid as it is
    page = admin_client.get(f"/team/members/{member.pk}/")
    assert b"gone/flux-old (disabled)" in page.content
    form = ModelLimitForm(instance=limit)
    assert ("gone/flux-old", "gone/flux-old (disabled)") in form.fields["model_id"].choices


def test_deactivated_member_cannot_log_in(admin_client, member):
    admin_client.post(f"/team/members/{member.pk}/active/")
    member.refresh_from_db()
    assert not member.is_active
    assert not logs_in("bob", "bob-password-123")
    admin_client.post(f"/team/members/{member.pk}/active/")
    assert logs_in("bob", "bob-password-123")


def test_a_row_action_answers_htmx_with_the_row_and_a_plain_form_with_the_page(
    admin_client, member
):
    """Row actions are forms that htmx enhances: clicked before htmx loaded (or without
    JavaScript) they still work and come back to the members page with the outcome."""
    page = admin_client.get("/team/").content.decode()
    assert f'<form method="post" action="/team/members/{member.pk}/active/"' in page

    row = admin_client.post(f"/team/members/{member.pk}/active/", headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert row.content.decode().startswith(f'\n<tr id="member-{member.pk}"')
    assert b"Deactivated." in row.content

    plain = admin_client.post(f"/team/members/{member.pk}/active/")
    assert plain.status_code == 302
    assert plain["Location"] == f"/team/#member-{member.pk}"
    follow = admin_client.get(plain["Location"])
    assert b"Reactivated." in follow.content
    member.refresh_from_db()
    assert member.is_active


def test_password_reset_link_is_emailed_and_works(admin_client, member):
    answer = admin_client.post(f"/team/members/{member.pk}/password-reset/", follow=True)
    assert b"sent to bob@example.com" in answer.content
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@example.com"]
    # allauth's reset link (the same flow as "Forgot your password?").
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    reset_password_through(link, "a-new-password-456")
    assert logs_in("bob", "a-new-password-456")


def test_password_reset_goes_to_the_chosen_member_only(admin_client, member, django_user_model):
    django_user_model.objects.create_user("bob2", "bob@example.com", "other-password-123")
    admin_client.post(f"/team/members/{member.pk}/password-reset/")
    (message,) = mail.outbox
    assert "bob2" not in message.body


def test_password_reset_without_email_says_so(admin_client, django_user_model):
    nomail = django_user_model.objects.create_user("nomail", password="x")
    answer = admin_client.post(f"/team/members/{nomail.pk}/password-reset/", follow=True)
    assert b"has no email address" in answer.content


def test_bulk_set_budget_and_reset_period(admin_client, member, alice):
    set_quota(member, "1.00", spent_usd=Decimal("0.5"))
    admin_client.post(
        "/team/bulk/", {"users": [member.pk, alice.pk], "action": "set_budget", "budget_usd": "3"}
    )
    assert set(
        Quota.objects.filter(user__in=[member, alice]).values_list("budget_usd", flat=True)
    ) == {Decimal(3)}
    admin_client.post("/team/bulk/", {"users": [member.pk], "action": "reset_period"})
    assert Quota.objects.get(user=member).spent_usd == 0


def test_admin_creates_a_team_with_members_and_budget(admin_client, member, alice):
    answer = admin_client.post(
        "/team/teams/",
        {
            "name": "Marketing",
            "budget_usd": "20",
            "period": "monthly",
            "members": [member.pk, alice.pk],
        },
    )
    assert answer.status_code == 302
    team = Team.objects.get(name="Marketing")
    assert team.budget_usd == Decimal(20) and set(team.members.all()) == {member, alice}
    admin_client.post(
        f"/team/teams/{team.pk}/",
        {"name": "Marketing", "budget_usd": "30", "period": "weekly", "members": [member.pk]},
    )
    team.refresh_from_db()
    assert team.budget_usd == Decimal(30) and list(team.members.all()) == [member]
    assert b"Marketing" in admin_client.get("/team/teams/").content


def test_django_admin_picks_a_caps_model_from_the_enabled_models(member, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-password-1")
    client = Client()
    client.force_login(root)
    quota = quota_for(member)
    page = client.get(f"/admin/budgets/quota/{quota.pk}/change/").content.decode()
    assert '<select name="model_limits-0-model_id"' in page
    assert f'<option value="{DEMO}">' in page
    typed = client.post(
        f"/admin/budgets/quota/{quota.pk}/change/",
        {
            "budget_usd": "5.00",
            "period": "monthly",
            "images_per_day": "",
            "model_limits-TOTAL_FORMS": "1",
            "model_limits-INITIAL_FORMS": "0",
            "model_limits-MIN_NUM_FORMS": "0",
            "model_limits-MAX_NUM_FORMS": "1000",
            "model_limits-0-model_id": "FLUX.1 [dev]",
            "model_limits-0-images_per_day": "3",
            "model_limits-0-quota": quota.pk,
        },
    )
    assert typed.status_code == 200  # the form again, with the error
    assert not QuotaModelLimit.objects.exists()


def test_an_admin_made_on_the_members_page_needs_no_django_admin(admin_client, django_user_model):
    """Admins (``is_staff``) reach members, teams and invitations from the app; the link to
    Django admin is for superusers only (for a plain admin it opens a page with nothing on it)."""
    page = admin_client.get("/team/").content.decode()
    for href in ("/team/", "/team/teams/", "/accounts/invitations/"):
        assert f'href="{href}"' in page
    assert 'href="/admin/"' not in page
    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    assert 'href="/admin/"' in root.get("/team/").content.decode()


def test_a_members_row_shows_spend_remaining_images_today_and_last_active(admin_client, member):
    set_price(usd="0.25")  # per image
    set_quota(member, "5.00", images_per_day=10)
    made = submit_generation(member, submit_data(num_images=2))
    run_generation(made.pk)  # charged $0.50
    submit_generation(member, submit_data())  # $0.25 held, not yet charged
    delete_generation(Generation.objects.get(pk=made.pk))  # its images still count today
    member.last_login = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    member.save(update_fields=["last_login"])

    row = admin_client.get(f"/team/members/{member.pk}/").content.decode()
    cells = [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    ]
    assert cells[1:9] == [
        "member",
        "active",
        "$5.00 (monthly budget)",
        "$0.50 (+$0.25 held)",
        "$4.25",
        "3 of 10",
        "—",
        "4 Mar 2026 05:06",
    ]
