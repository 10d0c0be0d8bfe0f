"""Generations and their images (prompts live in :mod:`.prompts`).

Timestamps that the live gallery orders by (``updated_at``) come from the database clock
(``Now()``), so web and worker processes on different machines agree on their order.
Status changes are conditional UPDATEs (``WHERE status = ...``), never read-modify-write,
so two workers can never both run one generation.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from fluxweb.budgets.models import Hold
from fluxweb.providers.options import OPTIONS
from fluxweb.providers.registry import get_registry
from fluxweb.queue.heartbeat import current_worker_id

from .batches import Batch
from .deletions import GenerationDeletion
from .images import GeneratedImage
from .prompts import SEARCH_CONFIG, Prompt, PromptQuerySet, prompt_matches, prompt_search_vector
from .querysets import GenerationQuerySet
from .safety import SafetyPolicy

__all__ = [
    "SEARCH_CONFIG",
    "Batch",
    "GeneratedImage",
    "Generation",
    "GenerationDeletion",
    "GenerationQuerySet",
    "Prompt",
    "PromptQuerySet",
    "SafetyPolicy",
    "prompt_matches",
    "prompt_search_vector",
]


class Generation(models.Model):
    """One request to a provider: its parameters, lifecycle, cost and outcome.

    Lifecycle: ``queued`` → ``running`` → ``succeeded`` | ``failed``, each change
    stamping ``updated_at`` (and ``started_at``/``finished_at``). Costs are USD.
    Cancelling (:func:`fluxweb.generations.services.cancel_generation`): a queued one goes
    straight to ``cancelled`` (never sent, refunded); a running one gets
    ``cancel_requested_at`` and ends ``cancelled`` when its provider answers (images
    discarded, the provider's bill charged).
    ``provider_called_at`` is stamped just before the provider is asked, so the stuck-work
    sweep (fluxweb/generations/sweep.py) knows whether a generation whose worker died may have
    been made (and charged) already; ``requeues`` counts the sweep's re-runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="generations"
    )
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="generations")
    negative_prompt = models.TextField(blank=True)
    provider = models.CharField(max_length=32)
    model = models.CharField(
        max_length=64, help_text="fluxweb model id, e.g. deepinfra/flux-1-schnell"
    )
    width = models.PositiveIntegerField(help_text="pixels")
    height = models.PositiveIntegerField(help_text="pixels")
    num_inference_steps = models.PositiveSmallIntegerField(null=True, blank=True)
    guidance_scale = models.FloatField(null=True, blank=True)
    seed = models.BigIntegerField(
        null=True, blank=True, help_text="the seed sent (or reported back)"
    )
    num_images = models.PositiveSmallIntegerField(default=1)
    # Provider-specific parameters the model takes (fluxweb.providers.options), validated by
    # the form: {"sampler_name": "euler", "denoise": 0.8} or {"enable_safety_checker": true}.
    options = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True, help_text="why it failed, in words fit for the user")
    estimated_cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    # The budget hold for the estimate (None for requests without a signed-in author). It
    # outlives the generation: the images it made still count against daily caps.
    hold = models.OneToOneField(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="generation"
    )
    actual_cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    provider_metadata = models.JSONField(default=dict, blank=True)
    # Best-price models only (fluxweb/generations/routing.py): the hosts tried, in order,
    # {"provider": slug, "label", "reason": short words, "" for the one that served}.
    route = models.JSONField(default=list, blank=True)
    pinned = models.BooleanField(
        default=False, help_text="highlighted for the whole team (admins set it)"
    )

    created_at = models.DateTimeField(db_default=Now(), editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    provider_called_at = models.DateTimeField(
        null=True, blank=True, help_text="when the worker started asking the provider"
    )
    requeues = models.PositiveSmallIntegerField(
        default=0, help_text="times the sweep put it back in the queue after its worker died"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="when someone cancelled it while it was queued or running"
    )
    updated_at = models.DateTimeField(db_default=Now())
    # PostgreSQL: a copy of the prompt's ``search_vector``, set by a trigger (migration 0002)
    # whenever the row is written with a prompt, for the gallery's search with the GIN index
    # "generation_prompt_search". Always NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    # The worker process running it (fluxweb.queue.heartbeat), stamped when it is claimed:
    # the sweep recovers a running generation whose worker stopped beating.
    worker_id = models.CharField(max_length=64, blank=True, default="")
    # A compare batch's cell (fluxweb/generations/batches.py): its place row * seeds + column.
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="cells"
    )
    batch_cell = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The gallery page: newest first.
            models.Index(fields=["-created_at", "-id"], name="generation_newest"),
            # The live gallery's "what changed since" poll (fluxweb/gallery/live.py).
            models.Index(fields=["updated_at"], name="generation_updated"),
            # Gallery filters, newest first within the filter (fluxweb/gallery/filters.py).
            models.Index(fields=["author", "-created_at", "-id"], name="generation_author_newest"),
            models.Index(fields=["model", "-created_at", "-id"], name="generation_model_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="generation_status_newest"),
            models.Index(fields=["prompt", "-created_at", "-id"], name="generation_prompt_newest"),
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(pinned=True),
                name="generation_pinned_newest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["queued", "running", "succeeded", "failed", "cancelled"]
                ),
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
    def is_cancelling(self) -> bool:
        """Cancelled while running: its provider's answer is discarded when it arrives."""
        return self.status == self.Status.RUNNING and self.cancel_requested_at is not None

    @property
    def model_label(self) -> str:
        """The model's display name ("FLUX.1 [schnell] · DeepInfra"), or its id if disabled."""
        spec = get_registry().all_models.get(self.model)
        return spec.label if spec else self.model

    @property
    def route_summary(self) -> str:
        """How a best-price generation was routed: "AIML API out of credits → DeepInfra"
        ("" for other generations)."""
        steps = [f"{step.get('label', '')} {step.get('reason', '')}".strip() for step in self.route]
        return " → ".join(steps)

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

    @property
    def queued_seconds(self) -> float | None:
        """Seconds from submit until a worker started it (None until then)."""
        return (self.started_at - self.created_at).total_seconds() if self.started_at else None

    @property
    def run_seconds(self) -> float | None:
        """Seconds from start to finish (None until finished after starting)."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def has_flagged_images(self) -> bool:
        """Whether the provider's safety checker flagged any of its images."""
        return any(image.nsfw_flagged for image in self.images.all())

    @property
    def option_items(self) -> list[tuple[str, Any]]:
        """The provider options it was made with, as (wire name, value), for display."""
        return sorted(self.options.items()) if isinstance(self.options, dict) else []

    def form_values(self) -> dict[str, Any]:
        """Every parameter as GenerationForm values (prompt, negative prompt, model, width,
        height, steps, guidance, seed, images, provider options): remixing starts from these."""
        return {
            "prompt": self.prompt.text,
            "negative_prompt": self.negative_prompt,
            "model": self.model,
            "width": self.width,
            "height": self.height,
            "num_inference_steps": self.num_inference_steps,
            "guidance_scale": self.guidance_scale,
            "seed": self.seed,
            "num_images": self.num_images,
            **{name: value for name, value in self.option_items if name in OPTIONS},
        }

    def set_pinned(self, pinned: bool) -> None:
        """Pin or unpin for the whole team; bumps ``updated_at`` so open galleries get the
        card again through the live stream."""
        Generation.objects.filter(pk=self.pk).update(pinned=pinned, updated_at=Now())
        self.refresh_from_db(fields=["pinned", "updated_at"])

    def _transition(
        self,
        from_statuses: tuple[str, ...],
        where: models.Q | None = None,
        *,
        read_back: bool = True,
        **changes: Any,
    ) -> bool:
        """Apply ``changes`` only if the row is still in one of ``from_statuses`` (and
        matches ``where``, if given).

        Returns whether it was applied. When it was, this instance holds the changed
        values: those the database computed (``Now()``, ``F()``) are read back at once, or,
        with ``read_back=False``, when first read, like deferred fields (the worker's claim
        and success: nothing on a run's path reads them, and each read back is a statement
        per generation, bench/api.py).
        """
        changes["updated_at"] = Now()
        rows = Generation.objects.filter(pk=self.pk, status__in=from_statuses)
        if where is not None:
            rows = rows.filter(where)
        fields = {name: self._meta.get_field(name) for name in changes}
        for name, value in changes.items():
            field = fields[name]
            if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
                # Rounded here as PostgreSQL would, so the instance holds what is stored.
                places = Decimal(1).scaleb(-field.decimal_places)
                changes[name] = value.quantize(places, rounding=ROUND_HALF_UP)
        updated = rows.update(**changes)
        if not updated:
            return False
        computed = []
        for name, value in changes.items():
            attname = getattr(fields[name], "attname", name)
            if hasattr(value, "resolve_expression"):
                computed.append(attname)
                self.__dict__.pop(attname, None)  # deferred: read on first access
            else:
                setattr(self, attname, value)
        if read_back:
            self.refresh_from_db(fields=computed)
        return True

    def mark_running(self, *, provider_called: bool = False) -> bool:
        """Claim a queued generation for this worker process (stamping its
        :func:`~fluxweb.queue.heartbeat.current_worker_id`); False if someone else has it.
        ``provider_called``: the worker asks the provider right away, so the same statement
        stamps ``provider_called_at`` (from then on the sweep won't retry it)."""
        changes: dict[str, Any] = {
            "status": self.Status.RUNNING,
            "started_at": Now(),
            "worker_id": current_worker_id(),
        }
        if provider_called:
            changes["provider_called_at"] = Now()
        return self._transition((self.Status.QUEUED,), read_back=False, **changes)

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

    def requeue_lost(self) -> bool:
        """Count one more trip through the queue for a generation still queued whose task
        row was lost (the sweep enqueues it again); False if it is no longer queued."""
        return self._transition((self.Status.QUEUED,), requeues=models.F("requeues") + 1)

    def mark_succeeded(
        self, *, seed: int | None, actual_cost_usd: Decimal | None, metadata: dict
    ) -> bool:
        """Record success; the provider's reported ``seed`` and cost (USD) win when given.
        False if it is no longer running, or its cancel was asked for meanwhile."""
        changes: dict[str, Any] = {
            "status": self.Status.SUCCEEDED,
            "finished_at": Now(),
            "actual_cost_usd": actual_cost_usd,
            "provider_metadata": {**self.provider_metadata, **metadata},
        }
        if seed is not None:
            changes["seed"] = seed
        return self._transition(
            (self.Status.RUNNING,),
            models.Q(cancel_requested_at__isnull=True),
            read_back=False,
            **changes,
        )

    def mark_cancelled(self) -> bool:
        """Cancel a queued generation before any worker claims it; False if it is no
        longer queued."""
        return self._transition(
            (self.Status.QUEUED,),
            status=self.Status.CANCELLED,
            cancel_requested_at=Now(),
            finished_at=Now(),
        )

    def request_cancel(self) -> bool:
        """Ask a running generation to be discarded when its provider answers (see
        :meth:`mark_cancelled_after_run`); False if it is not running or already asked."""
        return self._transition(
            (self.Status.RUNNING,),
            models.Q(cancel_requested_at__isnull=True),
            cancel_requested_at=Now(),
        )

    def mark_cancelled_after_run(self, *, actual_cost_usd: Decimal | None, metadata: dict) -> bool:
        """End a running generation whose cancel was asked for as ``cancelled``, recording
        what its provider reported it cost (USD, None if unknown); False otherwise."""
        return self._transition(
            (self.Status.RUNNING,),
            models.Q(cancel_requested_at__isnull=False),
            status=self.Status.CANCELLED,
            finished_at=Now(),
            actual_cost_usd=actual_cost_usd,
            provider_metadata={**self.provider_metadata, **metadata},
        )

    def mark_failed(self, reason: str) -> bool:
        """Record failure with a readable ``reason`` (from queued or running)."""
        return self._transition(
            (self.Status.QUEUED, self.Status.RUNNING),
            status=self.Status.FAILED,
            error=reason[:2000],
            finished_at=Now(),
        )
