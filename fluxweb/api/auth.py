"""Bearer-token authentication for the API."""

from __future__ import annotations

from django.db.models.functions import Now
from django.http import HttpRequest

from .models import ApiToken, hash_token


def user_for_request(request: HttpRequest):
    """The active user whose unrevoked token is in ``Authorization: Bearer <token>``, or None.
    Stamps the token's ``last_used_at``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = ApiToken.objects.active().select_related("user").filter(token_hash=hash_token(token.strip())).first()
    if found is None:
        return None
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=Now())
    return found.user
