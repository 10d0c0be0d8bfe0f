"""One way to read ids, dates and datetimes from untrusted text (URLs, request bodies).

Every parser answers a value or None; none raises on any ``str``. Values are bounded, so
that the arithmetic done with them afterwards (a day added, a time zone applied, a window
subtracted) stays inside what Python's ``date``/``datetime`` and the databases can hold:

- ids: ASCII digits only (``str.isdigit()`` also accepts "²" and "٣", which ``int()``
  refuses or reads differently), at most 19 of them, from 1 to 2**63 - 1 (a bigint);
- dates: ``MIN_DATE`` to ``MAX_DATE``, written ``YYYY-MM-DD`` (ISO 8601, as
  ``<input type="date">`` sends them);
- datetimes: ISO 8601 (``datetime.fromisoformat``) whose date is within the same range.

Forms use :class:`BoundedDateField`, which applies the same range to Django's date field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

MAX_ID = 2**63 - 1
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
# Longest ISO 8601 datetime worth reading: "2024-01-31T23:59:59.123456+05:30" is 32.
MAX_DATETIME_LENGTH = 40

_ID = re.compile(r"[0-9]{1,19}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def parse_id(text: str | None) -> int | None:
    """The positive database id written in ``text`` (ASCII digits), or None when it is
    missing, not such a number, or above ``MAX_ID``."""
    if not text or not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_date(text: str | None) -> date | None:
    """The date written ``YYYY-MM-DD`` in ``text``, or None when it is missing, malformed,
    not a real day, or outside ``MIN_DATE``..``MAX_DATE``."""
    if not text or not _DATE.fullmatch(text):
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if in_range(value) else None


def parse_datetime(text: str | None, *, require_timezone: bool = True) -> datetime | None:
    """The ISO 8601 datetime in ``text`` (``datetime.fromisoformat``), or None when it is
    missing, malformed, longer than ``MAX_DATETIME_LENGTH`` characters, naive while
    ``require_timezone``, or on a date outside ``MIN_DATE``..``MAX_DATE``."""
    if not text or len(text) > MAX_DATETIME_LENGTH or not text.isascii():
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if require_timezone and value.tzinfo is None:
        return None
    return value if in_range(value.date()) else None


def in_range(day: date) -> bool:
    """Whether ``day`` is within ``MIN_DATE``..``MAX_DATE``."""
    return MIN_DATE <= day <= MAX_DATE


class BoundedDateField(forms.DateField):
    """Django's ``DateField`` limited to ``MIN_DATE``..``MAX_DATE`` (a date outside is a
    validation error, not an overflow later)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators += [MinValueValidator(MIN_DATE), MaxValueValidator(MAX_DATE)]
