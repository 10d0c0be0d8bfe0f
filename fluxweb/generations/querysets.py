"""Querysets of generations (``Generation.objects``): the wall, prompt search, the gallery's
page query."""

from __future__ import annotations

from typing import Any

from django.db import connections, models

from .images import GeneratedImage
from .prompts import Prompt, prompt_matches


class GenerationQuerySet(models.QuerySet[Any]):
    """The queries the gallery and its live stream ask of generations (``Generation``'s
    manager; typed ``Any`` here: this module sits below the model)."""

    def on_wall(self) -> GenerationQuerySet:
        """Without the cells of compare batches but the first one left (cell 0 unless it
        was deleted): the wall shows a batch as one card."""
        earlier = self.model.objects.filter(
            batch=models.OuterRef("batch"), batch_cell__lt=models.OuterRef("batch_cell")
        )
        return self.filter(models.Q(batch__isnull=True) | ~models.Exists(earlier))

    def search_prompt(self, text: str) -> GenerationQuerySet:
        """Generations whose prompt matches the words of ``text`` (:func:`prompt_matches`).

        PostgreSQL: on the generation's own copy of its prompt's tsvector
        (``Generation.search_vector``, kept by a trigger, migration 0002), so the planner can
        walk the newest generations testing each row in place, or use its GIN index for a rare
        word. Elsewhere (SQLite): ``prompt IN (matching prompts)``. Figures: docs/speed.md."""
        if not text.split():
            return self
        if connections[self.db].vendor == "postgresql":
            return self.filter(prompt_matches(text, "postgresql"))
        return self.filter(prompt__in=Prompt.objects.using(self.db).search(text).values("pk"))

    def for_gallery(self) -> GenerationQuerySet:
        """Newest first, with what a gallery card shows, in a constant number of queries."""
        # The images are ordered on their own columns: the model's default ordering
        # ("generation", "index") would join the generation table back in.
        images = models.Prefetch(
            "images", queryset=GeneratedImage.objects.order_by("generation_id", "index")
        )
        return (
            self.select_related("author", "prompt", "batch")
            .prefetch_related(images)
            .order_by("-created_at", "-id")
        )
