"""Forms of the budgets app: the admin's "set budget" action."""

from __future__ import annotations

from django import forms

from .models import BUDGET_USD
from .periods import Period


class SetBudgetForm(forms.Form):
    """The admin action's intermediate form: a new budget (blank: no limit) and period."""

    budget_usd = forms.DecimalField(label="Budget (USD per period)", required=False, min_value=0,
                                    max_digits=BUDGET_USD["max_digits"], decimal_places=BUDGET_USD["decimal_places"],
                                    help_text="Leave blank for no money limit.")
    period = forms.ChoiceField(choices=[("", "Keep each quota's period"), *Period.choices], required=False)
