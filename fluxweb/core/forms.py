"""Typed access to a form's fields."""

from __future__ import annotations

from django import forms


def form_field[F: forms.Field](form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """``form.fields[name]``, which must be a ``kind`` (e.g. ``forms.ChoiceField``, to set its
    ``choices``). Raises KeyError for an unknown name and TypeError for another kind."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field
