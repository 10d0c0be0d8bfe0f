"""Issue 15, in a browser: an admin sets a member's budget and a per-model cap from the
list of enabled models on /team/, and the member's next requests meet that cap; a member
charges a request to their team from the form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fluxweb.budgets.models import Hold
from fluxweb.budgets.teams import create_team
from tests.budget_factories import set_price
from tests.e2e.test_live_gallery import submit

DEMO = "Demo (offline) placeholder, not FLUX"  # its label in the cap picker
DEMO_ID = "demo/placeholder"  # the prompt bar picks models by id


@pytest.fixture
def people(django_user_model):
    django_user_model.objects.create_user("ada", password="ada-password-1", is_staff=True)
    django_user_model.objects.create_user("bob", password="bob-password-1")


def test_admin_sets_budget_and_model_cap_then_the_cap_is_enforced(app, people, screenshot):
    admin = app.login("ada", "ada-password-1")
    admin.get_by_role("link", name="Members").click()
    row = admin.locator("tr", has=admin.get_by_role("rowheader", name="bob"))
    row.get_by_role("button", name="Edit").click()
    editing = admin.locator("tr.member-row--editing")
    editing.get_by_label("Budget (USD per period)").fill("2.50")
    editing.get_by_role("button", name="Save").click()
    row = admin.locator("tr", has=admin.get_by_role("rowheader", name="bob"))
    expect(row).to_contain_text("$2.50")

    row.get_by_role("button", name="Edit").click()
    editing = admin.locator("tr.member-row--editing")
    # The model is picked from the enabled models, not typed.
    editing.locator("select[name=model_id]").select_option(label=DEMO)
    editing.locator("input[name=images_per_day]").last.fill("1")
    editing.get_by_role("button", name="Add cap").click()
    expect(editing.locator(".member-limits")).to_contain_text(f"{DEMO}: 1 images a day")
    screenshot(admin, "team-member-editing")
    editing.get_by_role("button", name="Close").click()
    expect(admin.locator("tr", has=admin.get_by_role("rowheader", name="bob"))).to_contain_text(
        f"{DEMO}: 1/day"
    )

    member = app.login("bob", "bob-password-1")
    expect(member.locator("#budget-remaining")).to_contain_text("of $2.50")
    submit(member, DEMO_ID, "256", "256", prompt="a first lighthouse")
    expect(member.locator("#gallery-cards article.card")).to_have_count(1)
    expect(member.locator("#generation-form button[type=submit]")).to_be_enabled()
    submit(member, DEMO_ID, "256", "256", prompt="a second lighthouse")
    expect(member.locator("#generation-form")).to_contain_text("images a day")
    expect(member.locator("#gallery-cards article.card")).to_have_count(1)


def test_member_charges_a_request_to_their_team(app, people, django_user_model):
    set_price(usd="0.01")
    team = create_team("Marketing", Decimal("1.00"))
    team.members.add(django_user_model.objects.get(username="bob"))
    member = app.login("bob", "bob-password-1")
    form = member.locator("#generation-form")
    charge_to = form.get_by_label("Charge to")
    expect(charge_to).to_contain_text("Marketing ($1.00 left)")
    charge_to.select_option(label="Marketing ($1.00 left)")
    expect(member.locator("#budget-remaining")).to_contain_text("Marketing: Left: $1.00")
    form.locator("select[name=model]").select_option(DEMO_ID)  # the model priced $0.01 above
    form.get_by_label("Prompt", exact=True).fill("a team lighthouse")
    form.get_by_role("button", name="Generate").click()
    expect(member.locator("#gallery-cards article.card")).to_have_count(1)
    expect(member.locator("#budget-remaining")).to_contain_text("Marketing: Left: $0.99")
    expect(form.get_by_label("Charge to")).to_have_value("Marketing")  # the choice stays
    assert Hold.objects.get().team == team
