"""Invitations: a single-use link that lets one person create an account.

The link carries a random key (256 bits) that is stored only as a SHA-256 hash, so the
database alone cannot be used to accept an invitation. It expires after
``FLUXWEB_INVITATION_DAYS`` days and is spent by the first sign-up that uses it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def hash_key(key: str) -> str:
    """SHA-256 hex of an invitation key (random, so a fast hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self) -> InvitationQuerySet:
        """Invitations not yet accepted, revoked or expired."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )


class Invitation(models.Model):
    """An admin's invitation of ``email`` to join; see the module docstring."""

    email = models.EmailField()
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(
        default=False,
        help_text="Sent by email (else only shown to the admin).",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @classmethod
    def issue(cls, email: str, invited_by: object) -> tuple[Invitation, str]:
        """A new invitation of ``email``; returns the row and its key, which only the link
        (shown to the admin once, and emailed) carries."""
        key = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = cls.objects.create(
            email=email,
            key_hash=hash_key(key),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(days=settings.FLUXWEB_INVITATION_DAYS),
        )
        return invitation, key

    @classmethod
    def find_usable(cls, key: str) -> Invitation | None:
        """The usable invitation whose key is ``key``, or None (unknown, spent, expired)."""
        if not key:
            return None
        return cls.objects.usable().filter(key_hash=hash_key(key)).first()

    @property
    def state(self) -> str:
        """ "accepted", "revoked", "expired" or "pending"."""
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    def accept(self, user: object) -> bool:
        """Spend the invitation on ``user``'s new account; False if someone else spent it
        first (or it expired or was revoked meanwhile)."""
        spent = Invitation.objects.usable().filter(pk=self.pk)
        return bool(spent.update(accepted_at=timezone.now(), accepted_by=user))

    def revoke(self) -> None:
        pending = Invitation.objects.filter(pk=self.pk, accepted_at__isnull=True)
        pending.update(revoked_at=timezone.now())
