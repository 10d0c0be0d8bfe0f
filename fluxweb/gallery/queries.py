"""The gallery's and the prompt history's pages: filtered, keyset-paginated, each in a
constant number of queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Aggregate, Exists, F, OuterRef, Prefetch, Subquery, TextField, Window
from django.db.models.functions import RowNumber

from fluxweb.generations.models import GeneratedImage, Generation, Prompt

from .filters import FilterForm
from .keyset import Cursor, Page, paginate
from .models import Favourite

PAGE_SIZE = 48
HISTORY_PAGE_SIZE = 24
HISTORY_IMAGES = 4


class DistinctList(Aggregate):
    """Distinct non-null values joined by ``,`` (unordered): GROUP_CONCAT(DISTINCT ...) on
    SQLite, STRING_AGG(DISTINCT ..., ',') on PostgreSQL."""

    function = "GROUP_CONCAT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(DISTINCT %(expressions)s, ',')", **extra
        )


def gallery_page(user: Any, filters: FilterForm, cursor: Cursor | None, size: int = PAGE_SIZE) -> Page:
    """Generations newest first after ``cursor``, each with ``images`` prefetched and
    ``is_favourite`` (starred by ``user``). Two queries."""
    queryset = filters.generations(Generation.objects.for_gallery(), user).annotate(
        is_favourite=Exists(Favourite.objects.filter(user=user, generation=OuterRef("pk")))
    )
    return paginate(queryset, "created_at", cursor, size)


def history_page(user: Any, filters: FilterForm, cursor: Cursor | None, size: int = HISTORY_PAGE_SIZE) -> Page:
    """Distinct prompts, most recently used first, each with ``use_count``, ``last_used_at``,
    ``authors`` (sorted usernames) and ``latest`` (those of the HISTORY_IMAGES newest
    generations passing the filters that have images, images prefetched). Three queries."""
    usernames = (
        Generation.objects.filter(prompt=OuterRef("pk"), author__isnull=False)
        .order_by()
        .values("prompt")
        .annotate(names=DistinctList("author__username"))
        .values("names")
    )
    prompts = filters.prompts(Prompt.objects.filter(last_used_at__isnull=False), user).annotate(
        authors=Subquery(usernames)
    )
    page = paginate(prompts, "last_used_at", cursor, size)
    if not page.items:
        return page
    latest = (
        filters.generations(Generation.objects.all(), user, search=False)
        # No status condition here: "succeeded" matches almost every row, and it would tempt
        # SQLite's planner into the status index; generations without images are skipped below.
        .filter(prompt__in=[prompt.pk for prompt in page.items])
        .annotate(rank=Window(RowNumber(), partition_by=F("prompt_id"), order_by=[F("created_at").desc(), F("id").desc()]))
        .filter(rank__lte=HISTORY_IMAGES)
        .order_by("-created_at", "-id")
        .prefetch_related(Prefetch("images", queryset=GeneratedImage.objects.order_by("generation_id", "index")))
    )
    by_prompt: dict[int, list[Generation]] = defaultdict(list)
    for generation in latest:
        if generation.images.all():
            by_prompt[generation.prompt_id].append(generation)
    for prompt in page.items:
        prompt.latest = by_prompt[prompt.pk]
        prompt.author_names = sorted(prompt.authors.split(",")) if prompt.authors else []
    return page
