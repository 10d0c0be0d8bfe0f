"""The API's "team" body field charges a team's pool; a deactivated member's token stops."""

from decimal import Decimal

import pytest
from django.test import Client

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
