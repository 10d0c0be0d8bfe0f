"""The API's "team" body field and team-bound tokens charge a team's pool; a deactivated
member's token stops."""

from decimal import Decimal

import pytest
from django.test import Client

from fluxweb.api.models import ApiToken
from fluxweb.budgets.models import Hold
from fluxweb.budgets.teams import create_team
from tests.budget_factories import set_price, set_quota

URL = "/v1/images/generations"


def post(client, body, token):
    return client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.django_db(transaction=True)
def test_team_in_the_body_charges_the_team(client, member, token, immediate_tasks):
    set_price(usd="0.01")
    set_quota(member, "0.00")
    team = create_team("Marketing", Decimal("1.00"))
    team.members.add(member)
    body = {
        "model": "demo/placeholder",
        "prompt": "a kite",
        "size": "128x128",
        "response_format": "b64_json",
    }
    assert post(client, body, token).status_code == 429  # own budget: empty
    answer = post(client, {**body, "team": "Marketing"}, token)
    assert answer.status_code == 200, answer.content
    assert Hold.objects.get().team == team
    unknown = post(client, {**body, "team": "Nope"}, token)
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "team"


@pytest.mark.django_db
def test_deactivated_members_token_is_refused_at_once(member, token, django_user_model):
    admin = Client()
    admin.force_login(django_user_model.objects.create_user("ada", password="x", is_staff=True))
    body = {"model": "demo/placeholder", "prompt": "x", "size": "128x128"}
    admin.post(f"/team/members/{member.pk}/active/")
    assert post(Client(), body, token).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_token_bound_to_a_team_charges_the_team(client, member, immediate_tasks):
    set_price(usd="0.01")
    set_quota(member, "0.00")  # own budget empty: only a team can pay
    marketing = create_team("Marketing", Decimal("1.00"))
    design = create_team("Design", Decimal("1.00"))
    marketing.members.add(member)
    design.members.add(member)
    _, bound = ApiToken.issue(member, "campaign script", team=marketing)
    body = {"model": "demo/placeholder", "prompt": "a kite", "size": "128x128"}

    assert post(client, body, bound).status_code == 200
    assert post(client, {**body, "team": "Design"}, bound).status_code == 200  # body wins
    assert [hold.team for hold in Hold.objects.order_by("pk")] == [marketing, design]

    marketing.members.remove(member)  # the binding gives no right to a team one has left
    refused = post(client, body, bound)
    assert refused.status_code == 429 and "not a member" in refused.json()["error"]["message"]
    assert Hold.objects.count() == 2


@pytest.mark.django_db
def test_token_page_binds_a_token_to_one_of_the_members_teams(member_client, member):
    mine = create_team("Marketing", Decimal("1.00"))
    mine.members.add(member)
    other = create_team("Finance", Decimal("1.00"))
    page = member_client.get("/tokens/").content.decode()
    assert "Marketing" in page and "Finance" not in page
    refused = member_client.post("/tokens/", {"name": "x", "team": other.pk})
    assert refused.context["new_token"] is None and not ApiToken.objects.exists()
    member_client.post("/tokens/", {"name": "campaign", "team": mine.pk})
    assert ApiToken.objects.get().team == mine
    assert "Marketing" in member_client.get("/tokens/").content.decode()


@pytest.mark.django_db
def test_members_of_no_team_get_no_charge_to_field(member_client):
    assert 'name="team"' not in member_client.get("/tokens/").content.decode()
