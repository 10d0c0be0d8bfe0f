"""Compare: one prompt across up to 4 models (or hosts) × up to 4 seeds, as one batch.

:class:`CompareForm` validates the request against every chosen model's own limits;
:func:`submit_batch` holds the whole batch's estimate at once (all or nothing,
:func:`fluxweb.budgets.batches.reserve_batch`) and queues one ordinary generation per cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction

from fluxweb.budgets.batches import HoldRequest, reserve_batch
from fluxweb.budgets.prices import estimate_cost
from fluxweb.budgets.services import BudgetStatus
from fluxweb.core.forms import form_field
from fluxweb.providers.base import ModelSpec
from fluxweb.providers.registry import get_registry
from fluxweb.queue.enqueue import enqueue

from .forms import MAX_PROMPT_LENGTH
from .models import Batch, Generation, Prompt
from .tasks import generate_images

MAX_MODELS = 4
MAX_SEEDS = 4
DEFAULT_SIZE = 1024  # pixels, each side, when the form is first drawn


class CompareForm(forms.Form):
    """Prompt, 1–:data:`MAX_MODELS` models, 1–:data:`MAX_SEEDS` seeds and the shared size
    and steps.

    ``cleaned_data``: ``models`` is the list of chosen :class:`ModelSpec` in the order of
    the model list (the grid's rows); ``seeds`` the distinct whole numbers typed, in order
    (its columns); ``num_inference_steps`` None means each model's default. Each model's
    own limits (size, steps, seed range) are checked, with errors naming the model.
    """

    prompt = forms.CharField(
        max_length=MAX_PROMPT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Describe the image…"}),
    )
    models = forms.MultipleChoiceField(
        label="Models and hosts",
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Up to {MAX_MODELS}: each is a row of the grid.",
    )
    seeds = forms.CharField(
        label="Seeds",
        initial="1, 2",
        max_length=200,
        help_text=f"Up to {MAX_SEEDS} whole numbers, separated by commas: each is a column.",
    )
    width = forms.IntegerField(label="Width (px)", initial=DEFAULT_SIZE)
    height = forms.IntegerField(label="Height (px)", initial=DEFAULT_SIZE)
    num_inference_steps = forms.IntegerField(
        label="Steps", required=False, help_text="Blank uses each model's default."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(spec.id, spec.label) for spec in get_registry().models.values()]
        form_field(self, "models", forms.MultipleChoiceField).choices = choices

    def clean_models(self) -> list[ModelSpec]:
        chosen = set(self.cleaned_data["models"])
        if len(chosen) > MAX_MODELS:
            raise forms.ValidationError(f"Choose at most {MAX_MODELS} models.")
        return [spec for spec in get_registry().models.values() if spec.id in chosen]

    def clean_seeds(self) -> list[int]:
        parts = [part for part in re.split(r"[\s,;]+", self.cleaned_data["seeds"]) if part]
        seeds: list[int] = []
        for part in parts:
            try:
                seed = int(part)
            except ValueError:
                raise forms.ValidationError(
                    f"“{part[:20]}” is not a whole number; give seeds like 1, 2."
                ) from None
            if seed not in seeds:
                seeds.append(seed)
        if not seeds:
            raise forms.ValidationError("Give at least one seed.")
        if len(seeds) > MAX_SEEDS:
            raise forms.ValidationError(f"Give at most {MAX_SEEDS} seeds.")
        return seeds

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for spec in data.get("models") or []:
            self._check(spec, "width", data.get("width"), spec.width)
            self._check(spec, "height", data.get("height"), spec.height)
            if spec.steps is not None:
                self._check(
                    spec, "num_inference_steps", data.get("num_inference_steps"), spec.steps
                )
            if spec.seed is not None:
                for seed in data.get("seeds") or []:
                    self._check(spec, "seeds", seed, spec.seed)
        return data

    def _check(self, spec: ModelSpec, name: str, value: int | None, bounds: Any) -> None:
        if value is not None and not bounds.contains(value):
            label = self.fields[name].label or name
            self.add_error(name, f"{label} must be {bounds.describe()} for {spec.label}.")

    def estimate(self) -> Decimal | None:
        """The whole batch's estimated USD as bound so far (:func:`batch_estimate`), or
        None while a field the price depends on (models, seeds, size, steps) is invalid."""
        self.is_valid()
        if set(self.errors) - {"prompt", "__all__"}:
            return None
        return batch_estimate(self.cleaned_data)


def cell_steps(spec: ModelSpec, steps: int | None) -> int | None:
    """The steps a cell of ``spec`` is made with: ``steps``, else the model's default;
    None for a model whose API has no steps parameter."""
    if spec.steps is None:
        return None
    return steps if steps is not None else spec.default_steps


def cell_estimates(data: dict[str, Any]) -> list[Decimal]:
    """Each model's estimate (USD) for one image of the batch in ``data`` (a valid
    :class:`CompareForm`'s ``cleaned_data``), in the order of ``data["models"]``; prices
    from the price table (:func:`fluxweb.budgets.prices.estimate_cost`)."""
    return [
        estimate_cost(
            spec, data["width"], data["height"], cell_steps(spec, data["num_inference_steps"]), 1
        )
        for spec in data["models"]
    ]


def batch_estimate(data: dict[str, Any]) -> Decimal:
    """The whole batch's estimate (USD): each model's one-image estimate × the seeds."""
    return sum(cell_estimates(data), Decimal(0)) * len(data["seeds"])


@dataclass(frozen=True)
class BatchSubmission:
    """What :func:`submit_batch` made: the batch, its queued cells (row by row) and the
    author's budget right after the reservation (None without a signed-in author)."""

    batch: Batch
    cells: list[Generation]
    budget: BudgetStatus | None


def submit_batch(author: Any, data: dict[str, Any]) -> BatchSubmission:
    """Create a :class:`Batch` and one queued :class:`Generation` per model × seed from a
    valid :class:`CompareForm`'s ``cleaned_data``, and enqueue their tasks, which workers
    see when the transaction commits.

    The whole batch is held against the author's budget in one reservation (each cell
    its own :class:`~fluxweb.budgets.models.Hold`, so a failed cell is refunded alone).
    Raises :class:`~fluxweb.budgets.services.QuotaExceeded` when the batch does not fit
    (nothing created, held or enqueued). A model without seeds gets cells with no seed.
    """
    specs: list[ModelSpec] = data["models"]
    seeds: list[int] = data["seeds"]
    width, height, steps = data["width"], data["height"], data["num_inference_steps"]
    estimates = cell_estimates(data)
    places = [
        (spec, estimate, seed)
        for spec, estimate in zip(specs, estimates, strict=True)
        for seed in seeds
    ]
    signed_in = author is not None and author.is_authenticated
    with transaction.atomic():
        reservation = None
        if signed_in:
            reservation = reserve_batch(
                author,
                [
                    HoldRequest(spec.id, estimate, 1, spec.label, f"compare 1 × {width}×{height}")
                    for spec, estimate, _ in places
                ],
            )
        batch = Batch.objects.create(
            author=author if signed_in else None,
            prompt=Prompt.objects.for_text(data["prompt"]),
            model_ids=[spec.id for spec in specs],
            seeds=seeds,
            width=width,
            height=height,
            num_inference_steps=steps,
        )
        cells = []
        for place, (spec, estimate, seed) in enumerate(places):
            cell = Generation.objects.create(
                author=author if signed_in else None,
                prompt=Prompt.objects.use(data["prompt"]),
                provider=spec.provider,
                model=spec.id,
                width=width,
                height=height,
                num_inference_steps=cell_steps(spec, steps),
                guidance_scale=spec.default_guidance_scale if spec.guidance_scale else None,
                seed=seed if spec.seed is not None else None,
                num_images=1,
                estimated_cost_usd=estimate,
                hold=reservation.holds[place] if reservation else None,
                batch=batch,
                batch_cell=place,
            )
            enqueue(generate_images, cell.pk)
            cells.append(cell)
    return BatchSubmission(batch, cells, reservation.status if reservation else None)
