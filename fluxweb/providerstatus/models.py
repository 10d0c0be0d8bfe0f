"""The last known state of each provider, as the worker saw it."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


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


class ProviderCall(models.Model):
    """One call to a provider (one generation's attempt on one host), written by the worker:
    whether it produced images, how long it took (seconds, retries included), fluxweb's
    estimate and the cost the provider reported (USD; None when it reported none). The
    status page's per-host figures, price drift and the circuit breaker read these rows."""

    slug = models.CharField(max_length=32)
    model_id = models.CharField(max_length=64, blank=True)
    ok = models.BooleanField()
    reason = models.CharField(max_length=200, blank=True)
    latency_s = models.FloatField(default=0)
    estimated_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    actual_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["slug", "-created_at"], name="providercall_slug_recent")]

    def __str__(self) -> str:
        return f"{self.slug} {'ok' if self.ok else 'failed'}"
