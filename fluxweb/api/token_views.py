"""Members create and revoke their own API tokens; admins can revoke anyone's."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fluxweb.budgets.models import Team
from fluxweb.budgets.teams import teams_of
from fluxweb.core.forms import form_field
from fluxweb.core.http import AuthenticatedHttpRequest

from .models import ApiToken


class TokenForm(forms.Form):
    """A token's name and, for a member of teams, the team it charges by default."""

    name = forms.CharField(
        max_length=100, label="Token name", help_text="Where it will be used, e.g. “notebook”."
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Charge to",
        empty_label="My own budget",
        help_text='A request\'s own "team" field still overrides it.',
    )

    def __init__(self, user: object, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        teams = teams_of(user)
        if teams.exists():
            form_field(self, "team", forms.ModelChoiceField).queryset = teams
        else:
            del self.fields["team"]


@require_http_methods(["GET", "POST"])
def tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the member's tokens; POST creates one and shows its secret this once."""
    form = TokenForm(request.user, request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = ApiToken.issue(
            request.user, form.cleaned_data["name"], form.cleaned_data.get("team")
        )
        form = TokenForm(request.user)
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": ApiToken.objects.filter(user=request.user).select_related("team"),
            "api_base": request.build_absolute_uri("/v1"),
        },
    )


@require_POST
def revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Revoke a token: the member's own, or any token for staff. Others get 404."""
    queryset = (
        ApiToken.objects.all()
        if request.user.is_staff
        else ApiToken.objects.filter(user=request.user)
    )
    get_object_or_404(queryset, pk=pk).revoke()
    return redirect("api:tokens")
