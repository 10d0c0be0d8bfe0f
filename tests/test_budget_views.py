"""The budget in the form, the over-budget error, the usage page, CSV and the admin."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from fluxweb.budgets.models import LedgerEntry, Quota
from fluxweb.generations.models import Generation
from fluxweb.generations.running import fail_generation, run_generation
from fluxweb.generations.services import submit_generation
from tests.budget_factories import set_price, set_quota, submit_data

pytestmark = pytest.mark.django_db

FORM = {
    "prompt": "a red fox",
    "model": "demo/placeholder",
    "width": 256,
    "height": 256,
    "num_inference_steps": 4,
    "num_images": 1,
}


@pytest.fixture
def admin_client(django_user_model) -> Client:
    admin = django_user_model.objects.create_superuser(
        "root", "root@example.com", "root-password-123"
    )
    client = Client()
    client.force_login(admin)
    return client


def test_home_form_shows_estimate_and_what_is_left(member, member_client):
    set_price(usd="0.01")
    set_quota(member, "0.50")
    page = member_client.get("/").content.decode()
    # The page asks for its estimate as soon as it loads (hx-trigger="load, ...").
    assert 'id="estimate"' in page and 'hx-trigger="load, input from:closest form' in page
    form = re.search(r'<form id="generation-form".*?</form>', page, re.S).group(0)
    values = dict(
        re.findall(r'name="(width|height|num_inference_steps|num_images)" value="(\d+)"', form)
    )
    model = re.search(r'<option value="([^"]+)" selected>', form).group(1)
    partial = member_client.get(
        "/generations/estimate/", {**values, "model": model}
    ).content.decode()
    assert "$0.01<" in partial
    assert "Left: <output>$0.50</output> of $0.50 (monthly budget" in partial


def test_estimate_partial_warns_before_submitting(member, member_client):
    set_price(usd="0.04")
    set_quota(member, "0.10")
    partial = member_client.get(
        reverse("generations:estimate"), {**FORM, "num_images": 3}
    ).content.decode()
    assert "$0.12<" in partial
    assert "This request needs $0.12, but only $0.10 of your monthly budget is left." in partial
    assert "Team gallery" not in partial  # the partial only


def test_over_budget_submit_is_a_form_error_and_nothing_is_queued(member, member_client):
    set_price(usd="0.04")
    set_quota(member, "0.05")
    submit_generation(member, submit_data())
    response = member_client.post(reverse("generations:create"), FORM, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#generation-form"
    assert "This request needs $0.04, but only $0.01 of your monthly budget is left." in body
    assert Generation.objects.count() == 1


def test_over_budget_without_javascript_rerenders_the_page(member, member_client):
    set_price(usd="0.04")
    set_quota(member, "0.01")
    response = member_client.post(reverse("generations:create"), FORM)
    assert response.status_code == 400
    assert "needs $0.04" in response.content.decode()


def test_usage_page_for_members_shows_only_their_own(member, member_client, django_user_model):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    other = django_user_model.objects.create_user("alice", password="alice-password-123")
    mine = submit_generation(member, submit_data())
    run_generation(mine.pk)
    run_generation(submit_generation(other, submit_data(num_images=4)).pk)
    page = member_client.get(reverse("usage:usage")).content.decode()
    assert "Spend per model" in page and "Spend per user" not in page
    assert "spent <strong>$0.01</strong>" in page
    assert "<svg" in page
    rows = list(
        csv.reader(io.StringIO(member_client.get(reverse("usage:usage_csv")).content.decode()))
    )
    assert rows[0][:4] == ["created_at", "user", "model", "kind"]
    assert {row[1] for row in rows[1:]} == {"bob"}
    assert [row[3] for row in rows[1:]] == ["reserve", "charge"]
    assert [row[4] for row in rows[1:]] == [str(mine.pk)] * 2  # the generation, through its hold


def test_usage_page_for_admins_covers_everyone_and_filters(member, admin_client, django_user_model):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    other = django_user_model.objects.create_user("alice", password="alice-password-123")
    run_generation(submit_generation(member, submit_data()).pk)
    run_generation(submit_generation(other, submit_data(num_images=4)).pk)
    fail_generation(submit_generation(other, submit_data()), "boom")
    page = admin_client.get(reverse("usage:usage")).content.decode()
    assert "Spend per user" in page and "spent <strong>$0.05</strong>" in page
    assert "alice" in page and "bob" in page
    only_bob = admin_client.get(reverse("usage:usage"), {"user": member.pk}, HTTP_HX_REQUEST="true")
    assert "spent <strong>$0.01</strong>" in only_bob.content.decode()
    assert "<h1>Usage</h1>" not in only_bob.content.decode()  # the report partial only
    rows = list(
        csv.reader(io.StringIO(admin_client.get(reverse("usage:usage_csv")).content.decode()))
    )
    assert len(rows) == 1 + LedgerEntry.objects.count()


def test_usage_page_reports_estimate_vs_actual(member, admin_client):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    generation = submit_generation(member, submit_data())
    generation.mark_running()
    generation.mark_succeeded(seed=1, actual_cost_usd=Decimal("0.011"), metadata={})
    page = admin_client.get(reverse("usage:usage")).content.decode()
    assert (
        '<td data-label="Their estimate">$0.01</td><td data-label="Reported">$0.011</td>'
        '<td data-label="Difference">10.0%</td>'
    ) in page


def test_header_links_to_usage(member_client):
    assert f'href="{reverse("usage:usage")}"' in member_client.get("/").content.decode()


def test_admin_quota_list_shows_spend_and_bar(member, admin_client):
    set_price(usd="0.25")
    set_quota(member, "1.00")
    submit_generation(member, submit_data())
    page = admin_client.get(reverse("admin:budgets_quota_changelist")).content.decode()
    assert "$0.25" in page and "$0.75" in page and 'value="25"' in page


def test_admin_bulk_actions(member, admin_client):
    quota = set_quota(member, "1.00")
    url = reverse("admin:budgets_quota_changelist")
    confirm = admin_client.post(
        url, {"action": "set_budget_action", "_selected_action": [quota.pk]}
    )
    assert "Set budget" in confirm.content.decode()
    admin_client.post(
        url,
        {
            "action": "set_budget_action",
            "_selected_action": [quota.pk],
            "apply": "1",
            "budget_usd": "7.50",
            "period": "weekly",
        },
    )
    quota.refresh_from_db()
    assert (quota.budget_usd, quota.period) == (Decimal("7.50"), "weekly")
    Quota.objects.filter(pk=quota.pk).update(spent_usd=Decimal("3"))
    admin_client.post(url, {"action": "reset_period_action", "_selected_action": [quota.pk]})
    quota.refresh_from_db()
    assert quota.spent_usd == 0


def test_admin_edit_keeps_totals_that_moved_meanwhile(member, admin_client):
    quota = set_quota(member, "1.00")
    url = reverse("admin:budgets_quota_change", args=[quota.pk])
    Quota.objects.filter(pk=quota.pk).update(reserved_usd=Decimal("0.2"))  # a submit meanwhile
    admin_client.post(
        url,
        {
            "budget_usd": "2.00",
            "period": "monthly",
            "images_per_day": "",
            "model_limits-TOTAL_FORMS": "0",
            "model_limits-INITIAL_FORMS": "0",
        },
    )
    quota.refresh_from_db()
    assert (quota.budget_usd, quota.reserved_usd) == (Decimal("2.00"), Decimal("0.2"))


def test_admin_pages_load(admin_client, member):
    set_price(usd="0.01")
    generation = submit_generation(member, submit_data())
    for name in [
        "budgets_modelprice_changelist",
        "budgets_ledgerentry_changelist",
        "budgets_quota_changelist",
        "budgets_hold_changelist",
    ]:
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200
    ledger = admin_client.get(reverse("admin:budgets_ledgerentry_changelist")).content.decode()
    assert reverse("admin:budgets_hold_change", args=[generation.hold_id]) in ledger
    hold = admin_client.get(reverse("admin:budgets_hold_change", args=[generation.hold_id]))
    assert hold.status_code == 200 and "demo/placeholder" in hold.content.decode()
    prices = admin_client.get(reverse("admin:budgets_modelprice_changelist")).content.decode()
    assert "demo/placeholder" in prices
    defaults = admin_client.get(reverse("admin:budgets_budgetdefaults_changelist"), follow=True)
    assert (
        defaults.status_code == 200
        and "per-model daily image limits" in defaults.content.decode().lower()
    )
