"""Compare batches: one prompt across several models (or hosts) and seeds, made as one
batch (re-exported by :mod:`fluxweb.generations.models`).

Each cell of a batch is an ordinary :class:`~fluxweb.generations.models.Generation`
(``batch`` points here, ``batch_cell`` is its place in the grid: ``row * len(seeds) +
column``), so the worker, cancel, star, remix and the detail page treat it like any other.
The gallery wall shows a batch as one card: its cell 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from fluxweb.providers.registry import get_registry

from .prompts import Prompt


@dataclass(frozen=True)
class GridRow:
    """One row of a batch's grid: a model (its id and display name) and its cells, one
    per seed in the batch's order (each a Generation, or None where a cell is missing,
    e.g. deleted)."""

    model_id: str
    label: str
    cells: list[Any]


class Batch(models.Model):
    """A comparison: ``prompt`` made by each of ``model_ids`` (fluxweb model ids, the grid's
    rows) with each of ``seeds`` (the grid's columns), all at ``width``×``height`` pixels
    and ``num_inference_steps`` (None: each model's default)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="batches"
    )
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="batches")
    model_ids = models.JSONField(default=list, help_text="fluxweb model ids, one per row")
    seeds = models.JSONField(default=list, help_text="seeds, one per column")
    width = models.PositiveIntegerField(help_text="pixels")
    height = models.PositiveIntegerField(help_text="pixels")
    num_inference_steps = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"Compare #{self.pk} {self.shape}"

    @property
    def rows(self) -> int:
        return len(self.model_ids)

    @property
    def columns(self) -> int:
        return len(self.seeds)

    @property
    def shape(self) -> str:
        """``"3×2"``: models × seeds."""
        return f"{self.rows}×{self.columns}"

    def grid(self, cells: list[Any]) -> list[GridRow]:
        """``cells`` (this batch's generations) laid out by model (rows) × seed (columns)."""
        by_place: dict[int, Any] = {cell.batch_cell: cell for cell in cells}
        specs = get_registry().models
        rows = []
        for row, model_id in enumerate(self.model_ids):
            spec = specs.get(model_id)
            places = range(row * self.columns, (row + 1) * self.columns)
            rows.append(
                GridRow(
                    model_id, spec.label if spec else model_id, [by_place.get(p) for p in places]
                )
            )
        return rows
