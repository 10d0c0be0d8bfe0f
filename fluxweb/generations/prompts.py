"""Prompts: one row per distinct prompt text, shared by every generation that used it,
with the counters the prompt history pages through, and prompt text search."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.db import connections, models
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Now

# Text search configuration of the GIN index on Prompt.text (migration 0002).
SEARCH_CONFIG = "english"


def prompt_search_vector() -> SearchVector:
    """The tsvector of a prompt's text. PostgreSQL stores it in ``Prompt.search_vector``
    (a trigger, migration 0005) under the GIN index ``prompt_text_search``."""
    return SearchVector("text", config=SEARCH_CONFIG)


def prompt_matches(text: str, vendor: str) -> Q:
    """The condition "the row's prompt text matches the words of ``text``", for a database
    ``vendor``, on a :class:`Prompt`, or on PostgreSQL also on a :class:`Generation` (whose
    ``search_vector`` copies its prompt's).

    PostgreSQL: full-text search (English stemming, web-search syntax: ``"quoted
    phrase"``, ``-not``, ``or``) on the stored vector, through its GIN index. Elsewhere
    (SQLite, prompts only): every word must occur in the text, case-insensitively. Blank
    text matches everything.
    """
    if not text.split():
        return Q()
    if vendor == "postgresql":
        # The stored column: a page of a broad search checks many rows one by one, and
        # reading a stored tsvector is far cheaper than to_tsvector() on each text.
        return Q(search_vector=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch"))
    condition = Q()
    for word in text.split():
        condition &= Q(text__icontains=word.strip('"'))
    return condition


class PromptQuerySet(models.QuerySet["Prompt"]):
    def for_text(self, text: str) -> Prompt:
        """The one Prompt row for ``text``, created if new (safe under concurrent submits)."""
        prompt, _ = self.get_or_create(text_hash=Prompt.hash_text(text), defaults={"text": text})
        return prompt

    def search(self, text: str) -> PromptQuerySet:
        """Prompts matching the words of ``text`` (see :func:`prompt_matches`)."""
        return self.filter(prompt_matches(text, connections[self.db].vendor))

    def use(self, text: str) -> Prompt:
        """The Prompt row for ``text``, counting one more generation of it: created with
        ``use_count`` 1 if new, else ``use_count`` + 1; ``last_used_at`` is the database's
        clock either way. One statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``,
        PostgreSQL and SQLite ≥ 3.35), so it is safe under concurrent submits and costs one
        round trip instead of the two to five of :meth:`for_text` + :meth:`record_use`."""
        connection = connections[self.db]
        meta, quote = self.model._meta, connection.ops.quote_name
        table = quote(meta.db_table)
        quoted = {field.name: quote(field.column) for field in meta.concrete_fields if field.column}
        text_col, hash_col, count_col, used_col = (
            quoted[name] for name in ("text", "text_hash", "use_count", "last_used_at")
        )
        now_sql, now_params = self.query.get_compiler(connection=connection).compile(Now())
        columns = ", ".join(quoted.values())
        sql = (
            f"INSERT INTO {table} ({text_col}, {hash_col}, {count_col}, {used_col}) "
            f"VALUES (%s, %s, 1, {now_sql}) "
            f"ON CONFLICT ({hash_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1, "
            f"{used_col} = excluded.{used_col} RETURNING {columns}"
        )
        return next(
            iter(
                self.model.objects.db_manager(self.db).raw(
                    sql, [text, Prompt.hash_text(text), *now_params]
                )
            )
        )

    def record_use(self, prompt_id: int) -> None:
        """Count one more generation of the prompt and stamp ``last_used_at`` (DB clock)."""
        self.filter(pk=prompt_id).update(use_count=F("use_count") + 1, last_used_at=Now())

    def recount(self, prompt_ids: list[int]) -> None:
        """Recompute ``use_count`` and ``last_used_at`` from the generations that remain
        (after deleting some)."""
        # By name: the generation model is defined on top of this one (models.py).
        generation = apps.get_model("generations", "Generation")
        remaining = generation.objects.filter(prompt=OuterRef("pk")).order_by().values("prompt")
        self.filter(pk__in=prompt_ids).update(
            use_count=Coalesce(Subquery(remaining.annotate(n=Count("pk")).values("n")), 0),
            last_used_at=Subquery(remaining.annotate(last=Max("created_at")).values("last")),
        )


class Prompt(models.Model):
    """A distinct prompt text, shared by every generation that used it.

    ``text_hash`` (SHA-256 hex of the text) carries the uniqueness, because prompts may be
    up to 4000 characters, longer than a portable unique index allows.
    """

    text = models.TextField()
    text_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # Kept by submit_generation / delete_generation so the prompt history pages through an
    # index instead of aggregating every generation.
    use_count = models.PositiveIntegerField(
        default=0, help_text="generations that used this prompt"
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="when the latest one was submitted"
    )
    # PostgreSQL: to_tsvector('english', text), kept by a trigger (migration 0005) whatever
    # writes the row (bulk_create too); searched through the GIN index "prompt_text_search".
    # Always NULL on SQLite, which searches with LIKE.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PromptQuerySet.as_manager()

    class Meta:
        indexes = [
            # The prompt history: most recently used first (keyset on last_used_at, id).
            models.Index(fields=["-last_used_at", "-id"], name="prompt_recent"),
        ]
        # PostgreSQL also has the GIN index "prompt_text_search" on search_vector, created by
        # migration 0005 on PostgreSQL only (SQLite has no GIN).

    def __str__(self) -> str:
        return self.text[:80]

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()
