"""Keyset ("seek") pagination on (timestamp, id), newest first: never OFFSET.

The cursor names the last row shown; the next page is the rows strictly before it in
``ORDER BY <field> DESC, id DESC``. The timestamp is compared exactly as the database
stores it: on SQLite datetimes are text whose precision depends on who wrote them
(``Now()`` writes milliseconds, Python microseconds), so the cursor carries the stored
text there rather than a re-formatted datetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast

SEPARATOR = "~"
KEY = "keyset_value"


@dataclass(frozen=True)
class Cursor:
    """The position after one row: its timestamp (as compared by the database) and id."""

    value: str
    pk: int

    def encode(self) -> str:
        return f"{self.value}{SEPARATOR}{self.pk}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """The cursor in ``text`` (from a URL), or None if it is missing or malformed."""
        value, separator, pk = (text or "").rpartition(SEPARATOR)
        if not separator or not pk.isdigit() or not value:
            return None
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return None
        return cls(value, int(pk))


@dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next one (None on the last page)."""

    items: list[Any]
    next_cursor: Cursor | None


def _is_sqlite(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "sqlite"


def ordered(queryset: QuerySet, field: str) -> QuerySet:
    """``queryset`` newest first on ``field`` then id, annotated with the sort key."""
    key = Cast(field, TextField()) if _is_sqlite(queryset) else F(field)
    return queryset.annotate(**{KEY: key}).order_by(f"-{field}", "-id")


def after(queryset: QuerySet, field: str, cursor: Cursor | None) -> QuerySet:
    """Rows of the ordered ``queryset`` that come after ``cursor``: ``(field, id) < cursor``,
    written with a redundant ``field <= value`` so the index range scan starts there."""
    if cursor is None:
        return queryset
    if _is_sqlite(queryset):
        value: Any = Value(cursor.value, output_field=TextField())
    else:
        value = datetime.fromisoformat(cursor.value)
    return queryset.filter(**{f"{field}__lte": value}).filter(
        Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": cursor.pk})
    )


def before(queryset: QuerySet, field: str, cursor: Cursor) -> QuerySet:
    """Rows of ``queryset`` that come before ``cursor`` in the newest-first order, nearest
    first: ``(field, id) > cursor`` ordered by ``field, id`` ascending."""
    if _is_sqlite(queryset):
        key: Any = Cast(field, TextField())
        value: Any = Value(cursor.value, output_field=TextField())
    else:
        key, value = F(field), datetime.fromisoformat(cursor.value)
    return (
        queryset.annotate(**{KEY: key})
        .filter(**{f"{field}__gte": value})
        .filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": cursor.pk}))
        .order_by(field, "id")
    )


def cursor_of(queryset: QuerySet, field: str, pk: int) -> Cursor | None:
    """The cursor just after row ``pk`` of ``queryset`` (None if there is no such row)."""
    row = ordered(queryset.filter(pk=pk), field).values_list(KEY, flat=True).first()
    if row is None:
        return None
    return Cursor(row if isinstance(row, str) else row.isoformat(), pk)


def paginate(queryset: QuerySet, field: str, cursor: Cursor | None, size: int) -> Page:
    """At most ``size`` rows after ``cursor`` (one query; one row more is read to learn
    whether another page follows)."""
    rows = list(after(ordered(queryset, field), field, cursor)[: size + 1])
    if len(rows) <= size:
        return Page(rows, None)
    last = rows[size - 1]
    raw = getattr(last, KEY)
    value = raw if isinstance(raw, str) else raw.isoformat()
    return Page(rows[:size], Cursor(value, last.pk))
