"""Forms of the budgets app: the admin's "set budget" action and per-model caps picked
from the enabled models."""

from __future__ import annotations

from typing import Any

from django import forms

from fluxweb.core.forms import form_field

from .models import BUDGET_USD, QuotaModelLimit, enabled_model_ids
from .periods import Period


class SetBudgetForm(forms.Form):
    """The admin action's intermediate form: a new budget (blank: no limit) and period."""

    budget_usd = forms.DecimalField(
        label="Budget (USD per period)",
        required=False,
        min_value=0,
        max_digits=BUDGET_USD["max_digits"],
        decimal_places=BUDGET_USD["decimal_places"],
        help_text="Leave blank for no money limit.",
    )
    period = forms.ChoiceField(
        choices=[("", "Keep each quota's period"), *Period.choices], required=False
    )


def model_choices(current: str | None = None) -> list[tuple[str, str]]:
    """The enabled models as (id, label) choices; ``current`` is added, marked disabled,
    when it is a saved cap's model that is no longer enabled."""
    choices = list(enabled_model_ids().items())
    if current and current not in enabled_model_ids():
        choices.append((current, f"{current} (disabled)"))
    return choices


class ModelLimitForm(forms.ModelForm):
    """A per-model daily image cap whose model is picked from the enabled models. A saved
    cap of a model disabled since keeps its choice; any other id is refused (the model's
    ``clean`` checks again)."""

    model_id = forms.ChoiceField(label="Model")

    class Meta:
        model = QuotaModelLimit
        fields = ["model_id", "images_per_day"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.model_id if self.instance.pk else None
        form_field(self, "model_id", forms.ChoiceField).choices = [
            ("", "---------"),
            *model_choices(current),
        ]
