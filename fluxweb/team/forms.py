"""Forms of the members page. Per-model caps pick their model from the enabled models and
the budgets service checks the id again (:func:`fluxweb.budgets.teams.set_model_limit`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from fluxweb.budgets.forms import model_choices
from fluxweb.budgets.models import BUDGET_USD, Team
from fluxweb.budgets.periods import Period
from fluxweb.core.forms import form_field


def budget_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="Budget (USD per period)",
        required=False,
        min_value=0,
        max_digits=BUDGET_USD["max_digits"],
        decimal_places=BUDGET_USD["decimal_places"],
        help_text="Blank: no money limit.",
    )


class MemberForm(forms.Form):
    """A member's role, budget, period and daily image cap."""

    role = forms.ChoiceField(choices=[("member", "Member"), ("admin", "Admin")])
    budget_usd = budget_field()
    period = forms.ChoiceField(choices=Period.choices)
    images_per_day = forms.IntegerField(
        label="Images per day", required=False, min_value=0, help_text="Blank: no cap."
    )


class LimitForm(forms.Form):
    """A per-model daily image cap: the model is one of the enabled models."""

    model_id = forms.ChoiceField(label="Model")
    images_per_day = forms.IntegerField(label="Images per day", min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "model_id", forms.ChoiceField).choices = model_choices()


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)


class BulkForm(forms.Form):
    """Set the budget of, or reset the period of, the ticked members."""

    users = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.all())
    action = forms.ChoiceField(
        choices=[("set_budget", "Set budget"), ("reset_period", "Reset period")]
    )
    budget_usd = budget_field()
    period = forms.ChoiceField(
        choices=[("", "Keep each member's period"), *Period.choices], required=False
    )


class TeamForm(forms.ModelForm):
    """A team: name, members and its shared budget per period."""

    budget_usd = budget_field()

    class Meta:
        model = Team
        fields = ["name", "budget_usd", "period", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = get_user_model().objects.filter(is_active=True).order_by("username")
        form_field(self, "members", forms.ModelMultipleChoiceField).queryset = active
