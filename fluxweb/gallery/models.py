"""Per-user gallery state: favourites (stars)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from fluxweb.generations.models import Generation


class Favourite(models.Model):
    """A user's star on a generation (at most one per user and generation)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "generation"], name="favourite_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.generation_id}"

    @classmethod
    def set(cls, user: object, generation: Generation, starred: bool) -> bool:
        """Star (``starred=True``) or unstar; idempotent, safe under double clicks.
        Returns the new state."""
        if starred:
            cls.objects.get_or_create(user=user, generation=generation)
        else:
            cls.objects.filter(user=user, generation=generation).delete()
        return starred
