"""fluxweb.core.parsing: any text gives a bounded value or None, never an exception."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from fluxweb.core.parsing import (
    MAX_DATE,
    MAX_ID,
    MIN_DATE,
    BoundedDateField,
    parse_date,
    parse_datetime,
    parse_id,
)

ANY_TEXT = st.one_of(
    st.none(), st.text(), st.sampled_from(["²", "٣", "９", "9" * 4400, "-1", "+1", " 1", "1 "])
)


@given(ANY_TEXT)
def test_parse_id_is_none_or_a_positive_bigint_written_in_ascii_digits(text):
    value = parse_id(text)
    if value is not None:
        assert text.isascii() and text.isdigit() and str(value) == text.lstrip("0")
        assert 1 <= value <= MAX_ID


@given(st.integers(1, MAX_ID))
def test_parse_id_reads_every_id(value):
    assert parse_id(str(value)) == value


@pytest.mark.parametrize(
    "text",
    ["", "0", "²", "٣", "１", "-1", "+1", " 1", "1.0", "9" * 20, "9" * 4400, str(MAX_ID + 1)],
)
def test_parse_id_refuses(text):
    assert parse_id(text) is None


@given(st.one_of(ANY_TEXT, st.dates().map(date.isoformat)))
def test_parse_date_leaves_room_for_arithmetic(text):
    value = parse_date(text)
    if value is not None:
        assert MIN_DATE <= value <= MAX_DATE
        # What the views do with a date: a year either side, midnight, a time zone.
        for shifted in (value - timedelta(days=366), value + timedelta(days=366)):
            datetime.combine(shifted, datetime.min.time(), UTC).astimezone()


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01",
        "9999-12-31",
        "1899-12-31",
        "3000-01-01",
        "2024-02-30",
        "20240101",
        "2024-W01-1",
        "٢٠٢٤-٠١-٠١",
    ],
)
def test_parse_date_refuses(text):
    assert parse_date(text) is None


def test_parse_date_reads_a_date():
    assert parse_date("2024-02-29") == date(2024, 2, 29)


@given(st.one_of(ANY_TEXT, st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)))
def test_parse_datetime_is_aware_and_in_range(text):
    value = parse_datetime(text)
    if value is not None:
        assert value.tzinfo is not None and MIN_DATE <= value.date() <= MAX_DATE
        value - timedelta(days=1)
        value.astimezone(UTC)


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00+00:00" + " " * 40,
    ],
)
def test_parse_datetime_refuses(text):
    assert parse_datetime(text) is None


def test_parse_datetime_reads_naive_only_when_asked():
    assert parse_datetime("2024-01-01 10:00:00.123", require_timezone=False) == datetime(
        2024, 1, 1, 10, 0, 0, 123000
    )
    assert parse_datetime("2024-01-01T10:00:00+02:00").utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "valid"),
    [("2024-01-31", True), ("9999-12-31", False), ("0001-01-01", False), ("12/31/9999", False)],
)
def test_bounded_date_field(text, valid):
    field = BoundedDateField(required=False)
    if valid:
        assert field.clean(text) == date(2024, 1, 31)
    else:
        with pytest.raises(ValidationError):
            field.clean(text)
