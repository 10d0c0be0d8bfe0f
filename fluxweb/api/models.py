"""Personal API tokens: shown once when created, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from fluxweb.budgets.models import Team

TOKEN_PREFIX = "fw_"


def hash_token(token: str) -> str:
    """SHA-256 hex of a token. Tokens carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A member's bearer token for ``/v1/``. ``prefix`` (first characters) identifies it in
    lists; the token itself is never stored. A token bound to a ``team`` charges that team's
    pool when a request names no team of its own; if the team is deleted, the token charges
    its owner's budget again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        "budgets.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_tokens",
        help_text="charge this team's pool unless a request names a team",
    )
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def issue(cls, user: object, name: str, team: Team | None = None) -> tuple[ApiToken, str]:
        """Create a token for ``user`` (bound to ``team``, one of theirs, when given);
        returns the row and the plaintext, which is shown to the user once and never again."""
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            team=team,
            prefix=plaintext[:10],
            token_hash=hash_token(plaintext),
        )
        return token, plaintext

    def revoke(self) -> None:
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=Now())
        self.refresh_from_db(fields=["revoked_at"])
