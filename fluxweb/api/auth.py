"""Bearer-token authentication for the API."""

from __future__ import annotations

from datetime import timedelta

from django.db.models.functions import Now
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_request(request: HttpRequest):
    """The active user whose unrevoked token is in ``Authorization: Bearer <token>``, or None
    (:func:`token_for_request`)."""
    found = token_for_request(request)
    return found.user if found is not None else None


def token_for_request(request: HttpRequest) -> ApiToken | None:
    """The unrevoked token of an active user in ``Authorization: Bearer <token>`` (with its
    user and team), or None. Stamps the token's ``last_used_at`` (to the minute: a script's
    burst of calls costs one write a minute, not one per call)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    # get(), not first(): the hash is unique, and first() would order by the model's
    # ordering, which the database does not need and Django spends time compiling.
    try:
        found = (
            ApiToken.objects.active()
            .select_related("user", "team")
            .get(token_hash=hash_token(token.strip()))
        )
    except ApiToken.DoesNotExist:
        return None
    if found.last_used_at is None or timezone.now() - found.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=Now())
    return found
