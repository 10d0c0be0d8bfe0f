"""The gallery's and the prompt history's pages: filtered, keyset-paginated, each in a
constant number of queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from django.db.models import Aggregate, Exists, F, OuterRef, Subquery, TextField, Window
from django.db.models.functions import RowNumber

from fluxweb.generations.models import GeneratedImage, Generation, Prompt

from .filters import FilterForm
from .keyset import Cursor, Page, after, before, cursor_of, ordered, paginate
from .models import Favourite

PAGE_SIZE = 48
HISTORY_PAGE_SIZE = 24
HISTORY_IMAGES = 4


class LatestImage(NamedTuple):
    """One of a prompt's latest generations in the history: its first image (pixels)."""

    generation_pk: int
    image_pk: int
    width: int
    height: int


class DistinctList(Aggregate):
    """Distinct non-null values joined by ``,`` (unordered): GROUP_CONCAT(DISTINCT ...) on
    SQLite, STRING_AGG(DISTINCT ..., ',') on PostgreSQL."""

    function = "GROUP_CONCAT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(DISTINCT %(expressions)s, ',')",
            **extra,
        )


def gallery_page(
    user: Any, filters: FilterForm, cursor: Cursor | None, size: int = PAGE_SIZE
) -> Page:
    """Generations newest first after ``cursor``, each with ``images`` prefetched and
    ``is_favourite`` (starred by ``user``). Two queries."""
    queryset = filters.generations(Generation.objects.for_gallery().on_wall(), user).annotate(
        is_favourite=Exists(Favourite.objects.filter(user=user, generation=OuterRef("pk")))
    )
    return paginate(queryset, "created_at", cursor, size)


def neighbour(user: Any, filters: FilterForm, pk: int, direction: str) -> int | None:
    """The id of the generation next to ``pk`` in the gallery's order under ``filters``:
    ``"next"`` is the one shown after it (older), ``"previous"`` the one before (newer).
    None at either end, or when ``pk`` is not in the gallery. Two queries."""
    generations = filters.generations(Generation.objects.for_gallery().on_wall(), user)
    cursor = cursor_of(Generation.objects.for_gallery(), "created_at", pk)
    if cursor is None:
        return None
    if direction == "next":
        rows = after(ordered(generations, "created_at"), "created_at", cursor)
    else:
        rows = before(generations, "created_at", cursor)
    return rows.values_list("pk", flat=True).first()


def history_page(
    user: Any, filters: FilterForm, cursor: Cursor | None, size: int = HISTORY_PAGE_SIZE
) -> Page:
    """Distinct prompts, most recently used first, each with ``use_count``, ``last_used_at``,
    ``author_names`` (sorted usernames) and ``latest``: the :class:`LatestImage` of each of
    the HISTORY_IMAGES newest generations passing the filters that has images (its first
    image), newest first. Two queries (one when the page is empty)."""
    usernames = (
        Generation.objects.filter(prompt=OuterRef("pk"), author__isnull=False)
        .order_by()
        .values("prompt")
        .annotate(names=DistinctList("author__username"))
        .values("names")
    )
    prompts = (
        filters.prompts(Prompt.objects.filter(last_used_at__isnull=False), user)
        # What a row shows: not text_hash, nor the search vector (a tsvector sent as text).
        .only("text", "use_count", "last_used_at")
        .annotate(authors=Subquery(usernames))
    )
    page = paginate(prompts, "last_used_at", cursor, size)
    if not page.items:
        return page
    first_image = GeneratedImage.objects.filter(generation=OuterRef("pk")).order_by("index")
    latest = (
        filters.generations(Generation.objects.all(), user, search=False)
        # No status condition here: "succeeded" matches almost every row, and it would tempt
        # SQLite's planner into the status index; generations without images are skipped below.
        .filter(prompt__in=[prompt.pk for prompt in page.items])
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("prompt_id"),
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=HISTORY_IMAGES)
        .annotate(
            image_pk=Subquery(first_image.values("pk")[:1]),
            image_width=Subquery(first_image.values("width")[:1]),
            image_height=Subquery(first_image.values("height")[:1]),
        )
        .order_by("-created_at", "-id")
        .values_list("prompt_id", "pk", "image_pk", "image_width", "image_height")
    )
    by_prompt: dict[int, list[LatestImage]] = defaultdict(list)
    for prompt_id, generation_pk, image_pk, width, height in latest:
        if image_pk is not None:
            by_prompt[prompt_id].append(LatestImage(generation_pk, image_pk, width, height))
    for prompt in page.items:
        prompt.latest = by_prompt[prompt.pk]
        prompt.author_names = sorted(prompt.authors.split(",")) if prompt.authors else []
    return page
