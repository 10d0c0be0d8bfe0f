"""Records of deleted generations, which the live gallery streams so open browsers drop
the card."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class GenerationDeletion(models.Model):
    """That generation ``generation_id`` was deleted, and when (database clock): the live
    gallery streams it so open browsers drop the card (fluxweb/gallery/live.py). Written by
    ``delete_generation``; rows older than ``DELETION_RETENTION`` are pruned on later deletes.
    """

    generation_id = models.BigIntegerField()
    deleted_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)

    def __str__(self) -> str:
        return f"generation {self.generation_id} deleted"
