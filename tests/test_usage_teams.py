"""Usage reports and CSV by team; members see their teams' remaining budgets."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from fluxweb.budgets.teams import create_team
from fluxweb.generations.running import run_generation
from fluxweb.generations.services import submit_generation
from tests.budget_factories import set_price, set_quota, submit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("ada", password="x", is_staff=True))
    return client


def test_usage_groups_by_team_and_csv_names_the_pool(member, alice, admin_client):
    set_price(usd="0.01")
    set_quota(member, "1.00")
    set_quota(alice, "1.00")
    team = create_team("Marketing", Decimal("1.00"))
    team.members.add(member, alice)
    run_generation(submit_generation(member, submit_data(team=team, num_images=2)).pk)
    run_generation(submit_generation(alice, submit_data(team=team)).pk)
    run_generation(submit_generation(member, submit_data()).pk)  # own budget

    page = admin_client.get(reverse("usage:usage")).content.decode()
    assert "Per team" in page
    assert '<th scope="row">Marketing</th><td data-label="Spent">$0.03</td>' in page
    assert '<th scope="row">(own budgets)</th><td data-label="Spent">$0.01</td>' in page

    marketing = admin_client.get(reverse("usage:usage"), {"team": team.pk}, HTTP_HX_REQUEST="true")
    assert "spent <strong>$0.03</strong>" in marketing.content.decode()
    own = admin_client.get(reverse("usage:usage"), {"team": "0"}, HTTP_HX_REQUEST="true")
    assert "spent <strong>$0.01</strong>" in own.content.decode()

    rows = list(
        csv.reader(io.StringIO(admin_client.get(reverse("usage:usage_csv")).content.decode()))
    )
    assert rows[0][-1] == "team"
    charges = [(row[1], row[-1]) for row in rows[1:] if row[3] == "charge"]
    assert sorted(charges) == [("alice", "Marketing"), ("bob", ""), ("bob", "Marketing")]


def test_members_see_their_teams_remaining_budget(member, member_client):
    set_price(usd="0.01")
    team = create_team("Marketing", Decimal("2.00"))
    team.members.add(member)
    submit_generation(member, submit_data(team=team))
    usage = member_client.get(reverse("usage:usage")).content.decode()
    assert "Marketing (shared)" in usage and "$1.99 left" in usage
    form = {"model": "demo/placeholder", "width": 256, "height": 256, "num_images": 1}
    # The page loads the estimate (with the "Charge to" select) right after it opens.
    first = member_client.get(reverse("generations:estimate"), form).content.decode()
    assert 'name="team"' in first and "Marketing ($1.99 left)" in first
    assert "Marketing: Left" not in first  # own budget until the member picks the team
    url = reverse("generations:estimate")
    estimate = member_client.get(url, {**form, "team": "Marketing"}).content.decode()
    assert "Marketing: Left: <output>$1.99</output>" in estimate


def test_members_of_no_team_get_no_charge_to_field(member_client):
    form = {"model": "demo/placeholder", "width": 256, "height": 256, "num_images": 1}
    assert (
        'name="team"'
        not in member_client.get(reverse("generations:estimate"), form).content.decode()
    )
