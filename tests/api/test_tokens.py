import pytest

from fluxweb.api.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(member_client, member):
    response = member_client.post("/tokens/", {"name": "notebook"})
    secret = response.context["new_token"]
    assert secret.startswith("fw_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=member)
    assert token.token_hash == hash_token(secret) and secret not in (token.prefix, token.token_hash)
    assert secret not in member_client.get("/tokens/").content.decode()


def test_member_revokes_own_token_but_not_others(member_client, member, admin_user):
    mine, _ = ApiToken.issue(member, "mine")
    theirs, _ = ApiToken.issue(admin_user, "theirs")
    assert member_client.post(f"/tokens/{theirs.pk}/revoke/").status_code == 404
    assert member_client.post(f"/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_revoked and not theirs.is_revoked


def test_admin_revokes_any_token(admin_client, member):
    token, _ = ApiToken.issue(member, "x")
    admin_client.post(f"/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.is_revoked
