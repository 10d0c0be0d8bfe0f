"""The usage page's filter form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from fluxweb.budgets.models import LedgerEntry, Team
from fluxweb.core.forms import form_field
from fluxweb.core.parsing import BoundedDateField

from .reports import UsageFilter

DEFAULT_DAYS = 30
MAX_DAYS = 366


class UsageFilterForm(forms.Form):
    """Dates (local, inclusive), and for admins a user and a team; a model for everyone.

    Members only ever see their own usage: the user field is removed for them.
    """

    start = BoundedDateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label="Everyone",
    )
    model = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        if not viewer.is_staff:
            del self.fields["user"], self.fields["team"]
        else:
            teams = [(str(team.pk), team.name) for team in Team.objects.order_by("name")]
            choices = [("", "All budgets"), ("0", "Own budgets only"), *teams]
            form_field(self, "team", forms.ChoiceField).choices = choices
        models = LedgerEntry.objects.order_by("model").values_list("model", flat=True).distinct()
        choices = [("", "All models"), *((m, m) for m in models)]
        form_field(self, "model", forms.ChoiceField).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError("The start date must not be after the end date.")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def usage_filter(self) -> UsageFilter:
        """The filter chosen, or the last 30 days (of the viewer alone, for members) when
        the form is unbound or invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        team_id = None
        if self.viewer.is_staff:
            user = data.get("user")
            user_id = user.pk if user else None
            team_id = int(data["team"]) if data.get("team") else None
        else:
            user_id = self.viewer.pk
        return UsageFilter(
            start=start, end=end, user_id=user_id, model=data.get("model") or "", team_id=team_id
        )
