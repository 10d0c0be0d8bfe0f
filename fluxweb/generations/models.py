"""Prompts, generations and their images.

Timestamps that the live gallery orders by (``updated_at``) come from the database clock
(``Now()``), so web and worker processes on different machines agree on their order.
Status changes are conditional UPDATEs (``WHERE status = ...``), never read-modify-write,
so two workers can never both run one generation.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from fluxweb.providers.registry import get_registry


class PromptQuerySet(models.QuerySet["Prompt"]):
    def for_text(self, text: str) -> Prompt:
        """The one Prompt row for ``text``, created if new (safe under concurrent submits)."""
        prompt, _ = self.get_or_create(text_hash=Prompt.hash_text(text), defaults={"text": text})
        return prompt


class Prompt(models.Model):
    """A distinct prompt text, shared by every generation that used it.

    ``text_hash`` (SHA-256 hex of the text) carries the uniqueness, because prompts may be
    up to 4000 characters, longer than a portable unique index allows.
    """

    text = models.TextField()
    text_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    objects = PromptQuerySet.as_manager()

    def __str__(self) -> str:
        return self.text[:80]

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()


class GenerationQuerySet(models.QuerySet["Generation"]):
    def for_gallery(self) -> GenerationQuerySet:
        """Newest first, with what a gallery card shows, in a constant number of queries."""
        return self.select_related("author", "prompt").prefetch_related("images").order_by("-created_at", "-id")


class Generation(models.Model):
    """One request to a provider: its parameters, lifecycle, cost and outcome.

    Lifecycle: ``queued`` → ``running`` → ``succeeded`` | ``failed``, each change
    stamping ``updated_at`` (and ``started_at``/``finished_at``). Costs are USD.
    ``provider_called_at`` is stamped just before the provider is asked, so the stuck-work
    sweep (fluxweb/ops/sweep.py) knows whether a generation whose worker died may have
    been made (and charged) already; ``requeues`` counts the sweep's re-runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="generations"
    )
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="generations")
    negative_prompt = models.TextField(blank=True)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=64, help_text="fluxweb model id, e.g. deepinfra/flux-1-schnell")
    width = models.PositiveIntegerField(help_text="pixels")
    height = models.PositiveIntegerField(help_text="pixels")
    num_inference_steps = models.PositiveSmallIntegerField(null=True, blank=True)
    guidance_scale = models.FloatField(null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True, help_text="the seed sent (or reported back)")
    num_images = models.PositiveSmallIntegerField(default=1)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True, help_text="why it failed, in words fit for the user")
    estimated_cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    actual_cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    provider_metadata = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(db_default=Now(), editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    provider_called_at = models.DateTimeField(
        null=True, blank=True, help_text="when the worker started asking the provider"
    )
    requeues = models.PositiveSmallIntegerField(
        default=0, help_text="times the sweep put it back in the queue after its worker died"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(db_default=Now())

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The gallery page: newest first.
            models.Index(fields=["-created_at", "-id"], name="generation_newest"),
            # The live gallery's "what changed since" poll (fluxweb/gallery/live.py).
            models.Index(fields=["updated_at"], name="generation_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="generation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(width__gt=0, height__gt=0, num_images__gte=1),
                name="generation_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.model} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def model_label(self) -> str:
        """The model's display name ("FLUX.1 [schnell] · DeepInfra"), or its id if disabled."""
        spec = get_registry().models.get(self.model)
        return spec.label if spec else self.model

    @property
    def provider_label(self) -> str:
        provider = get_registry().providers.get(self.provider)
        return provider.label if provider else self.provider

    @property
    def waiting_since(self) -> datetime:
        """When the current wait began: started_at while running, else created_at."""
        return self.started_at or self.created_at

    @property
    def elapsed_seconds(self) -> int:
        """Whole seconds queued or running so far (or in total, once finished)."""
        end = self.finished_at or timezone.now()
        return max(0, int((end - self.waiting_since).total_seconds()))

    def _transition(self, from_statuses: tuple[str, ...], **changes: Any) -> bool:
        """Apply ``changes`` only if the row is still in one of ``from_statuses``.

        Returns whether it was applied; refreshes this instance's changed fields.
        """
        changes["updated_at"] = Now()
        updated = Generation.objects.filter(pk=self.pk, status__in=from_statuses).update(**changes)
        if updated:
            self.refresh_from_db(fields=[*changes.keys()])
        return bool(updated)

    def mark_running(self) -> bool:
        """Claim a queued generation for this worker; False if someone else has it."""
        return self._transition((self.Status.QUEUED,), status=self.Status.RUNNING, started_at=Now())

    def mark_provider_called(self) -> bool:
        """Record that the provider call is about to start (only while running)."""
        return self._transition((self.Status.RUNNING,), provider_called_at=Now())

    def requeue(self) -> bool:
        """Put a running generation whose worker died back in the queue (before its
        provider call started); False if it is no longer running. The caller enqueues."""
        return self._transition(
            (self.Status.RUNNING,),
            status=self.Status.QUEUED,
            started_at=None,
            provider_called_at=None,
            requeues=models.F("requeues") + 1,
        )

    def mark_succeeded(self, *, seed: int | None, actual_cost_usd: Decimal | None, metadata: dict) -> bool:
        """Record success; the provider's reported ``seed`` and cost (USD) win when given."""
        changes: dict[str, Any] = {
            "status": self.Status.SUCCEEDED,
            "finished_at": Now(),
            "actual_cost_usd": actual_cost_usd,
            "provider_metadata": {**self.provider_metadata, **metadata},
        }
        if seed is not None:
            changes["seed"] = seed
        return self._transition((self.Status.RUNNING,), **changes)

    def mark_failed(self, reason: str) -> bool:
        """Record failure with a readable ``reason`` (from queued or running)."""
        return self._transition(
            (self.Status.QUEUED, self.Status.RUNNING),
            status=self.Status.FAILED,
            error=reason[:2000],
            finished_at=Now(),
        )


def image_upload_to(instance: GeneratedImage, filename: str) -> str:
    """``generations/<id>/<random>.<ext>``: not guessable from the generation id."""
    extension = filename.rsplit(".", 1)[-1]
    return f"generations/{instance.generation_id}/{secrets.token_urlsafe(16)}.{extension}"


class GeneratedImage(models.Model):
    """One image file of a generation, as stored (size in pixels measured from the file)."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="images")
    index = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=image_upload_to, max_length=255)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()

    class Meta:
        ordering = ["generation", "index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="image_unique_index"),
        ]

    def __str__(self) -> str:
        return f"image {self.index} of generation {self.generation_id}"
