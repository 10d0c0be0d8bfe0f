"""The last known state of each provider, as the worker saw it."""

from __future__ import annotations

from django.db import models


class ProviderStatus(models.Model):
    """One row per provider slug (``"segmind"``), updated by the worker after every
    generation that reached the provider: when it last worked, its last error (a sentence
    fit for users), the credits it reports left, in the provider's own unit
    (Segmind's ``x-remaining-credits``), and the last cost report fluxweb ignored."""

    slug = models.CharField(max_length=32, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    credits_remaining = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    credits_reported_at = models.DateTimeField(null=True, blank=True)
    # The last cost the provider reported that fluxweb did not believe (and charged the
    # estimate instead): the figure as reported and why, and when.
    last_ignored_cost = models.CharField(max_length=200, blank=True)
    last_ignored_cost_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "provider statuses"

    def __str__(self) -> str:
        return self.slug

    @property
    def last_outcome_failed(self) -> bool:
        """Whether the most recent outcome was an error (no success since)."""
        if self.last_error_at is None:
            return False
        return self.last_success_at is None or self.last_error_at > self.last_success_at
