"""The members page (``/team/``) and teams (``/team/teams/``): admins (``is_staff``) only,
everyone else gets 403. Rows change in place: HTMX requests get the row's partial back."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fluxweb.budgets.maintenance import reset_period, set_budget
from fluxweb.budgets.models import QuotaModelLimit, Team
from fluxweb.budgets.periods import period_start
from fluxweb.budgets.pools import quota_for
from fluxweb.budgets.services import team_status
from fluxweb.budgets.teams import UnknownModel, reset_team_period, set_model_limit
from fluxweb.core.http import AuthenticatedHttpRequest, HtmxHttpRequest

from .forms import BulkForm, LimitForm, MemberForm, SearchForm, TeamForm
from .members import (
    SelfChange,
    member_row,
    member_rows,
    members,
    send_password_reset,
    set_active,
    unlock,
    update_member,
)

View = Callable[..., HttpResponse]


def admin_required(view: View) -> View:
    """403 for signed-in users who are not admins (``is_staff``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only admins manage the team.")
        return view(request, *args, **kwargs)

    return wrapped


def _user(pk: int) -> Any:
    return get_object_or_404(get_user_model(), pk=pk)


def _row(request: HtmxHttpRequest, user: Any, note: str = "", error: str = "") -> HttpResponse:
    """The member's table row (HTMX swaps it in). A row action posted as a plain form,
    before htmx loaded or without JavaScript, goes back to the members page instead, with
    ``note`` or ``error`` as a message."""
    if request.method == "POST" and not request.htmx:
        if error:
            messages.error(request, error)
        elif note:
            messages.success(request, note)
        return HttpResponseRedirect(reverse("team:members") + f"#member-{user.pk}")
    context = {"row": member_row(user), "note": note, "error": error}
    return render(request, "team/members.html#row", context)


def _edit(
    request: HttpRequest,
    user: Any,
    form: MemberForm | None = None,
    limit_form: LimitForm | None = None,
    error: str = "",
) -> HttpResponse:
    row = member_row(user)
    quota = row.quota
    ids = f"member{user.pk}_%s"  # several members' forms can be open on one page
    form = form or MemberForm(
        auto_id=ids,
        initial={
            "role": row.role,
            "budget_usd": quota.budget_usd,
            "period": quota.period,
            "images_per_day": quota.images_per_day,
        },
    )
    limit_form = limit_form or LimitForm(auto_id=f"member{user.pk}_limit_%s")
    context = {"row": row, "form": form, "limit_form": limit_form, "error": error}
    return render(request, "team/members.html#edit", context)


@require_GET
@admin_required
def members_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every member with role, status, spend, remaining, images today, last active;
    ``?q=`` searches (HTMX: the table body only)."""
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    context = {"search": search, "rows": member_rows(members(query)), "bulk_form": BulkForm()}
    if request.htmx:
        return render(request, "team/members.html#rows", context)
    return render(request, "team/members.html", context)


@require_GET
@admin_required
def member(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _row(request, _user(pk))


@require_http_methods(["GET", "POST"])
@admin_required
def edit_member(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the member's edit row; POST: save role, budget, period, daily cap (then the row)."""
    user = _user(pk)
    if request.method == "GET":
        return _edit(request, user)
    form = MemberForm(request.POST, auto_id=f"member{user.pk}_%s")
    if not form.is_valid():
        return _edit(request, user, form=form)
    try:
        update_member(request.user, user, **form.cleaned_data)
    except SelfChange as exc:
        return _edit(request, user, form=form, error=str(exc))
    return _row(request, user, note="Saved.")


@require_POST
@admin_required
def add_limit(request: HttpRequest, pk: int) -> HttpResponse:
    """Add or replace a per-model cap (the model from the enabled models)."""
    user = _user(pk)
    form = LimitForm(request.POST, auto_id=f"member{user.pk}_limit_%s")
    if form.is_valid():
        try:
            set_model_limit(
                quota_for(user), form.cleaned_data["model_id"], form.cleaned_data["images_per_day"]
            )
        except UnknownModel as exc:
            form.add_error("model_id", str(exc))
        else:
            return _edit(request, user)
    return _edit(request, user, limit_form=form)


@require_POST
@admin_required
def delete_limit(request: HttpRequest, pk: int, limit_pk: int) -> HttpResponse:
    user = _user(pk)
    QuotaModelLimit.objects.filter(pk=limit_pk, quota__user=user).delete()
    return _edit(request, user)


@require_POST
@admin_required
def toggle_active(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active member, reactivate an inactive one."""
    user = _user(pk)
    try:
        set_active(request.user, user, not user.is_active)
    except SelfChange as exc:
        return _row(request, user, error=str(exc))
    return _row(request, user, note="Reactivated." if user.is_active else "Deactivated.")


@require_POST
@admin_required
def password_reset(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = _user(pk)
    problem = send_password_reset(user, request)
    if problem:
        return _row(request, user, error=problem)
    return _row(request, user, note=f"Password-reset link sent to {user.email}.")


@require_POST
@admin_required
def unlock_member(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Let a member locked out by failed logins log in again now."""
    user = _user(pk)
    return _row(request, user, note=unlock(user))


@require_POST
@admin_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Set the budget of, or start a new period for, the ticked members."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick at least one member and choose an action.")
    else:
        quotas = [quota_for(user) for user in form.cleaned_data["users"]]
        if form.cleaned_data["action"] == "set_budget":
            count = set_budget(
                quotas, form.cleaned_data["budget_usd"], form.cleaned_data["period"] or None
            )
            messages.success(request, f"Set the budget of {count} members.")
        else:
            count = reset_period(quotas)
            messages.success(request, f"Started a new period for {count} members.")
    return HttpResponseRedirect(reverse("team:members"))


@require_http_methods(["GET", "POST"])
@admin_required
def teams(request: HttpRequest) -> HttpResponse:
    """Every team with its pool; POST creates one."""
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = form.save(commit=False)
        team.period_started_at = period_start(team.period, timezone.now())
        team.save()
        form.save_m2m()
        messages.success(request, f"Created the team {team.name}.")
        return HttpResponseRedirect(reverse("team:teams"))
    rows = [(team, team_status(team)) for team in Team.objects.prefetch_related("members")]
    return render(request, "team/teams.html", {"form": form, "rows": rows})


@require_http_methods(["GET", "POST"])
@admin_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a team (name, budget, period, members); ``reset`` starts a new period."""
    team = get_object_or_404(Team, pk=pk)
    if request.method == "POST" and "reset" in request.POST:
        reset_team_period([team])
        messages.success(request, f"Started a new period for {team.name}.")
        return HttpResponseRedirect(reverse("team:team", args=[team.pk]))
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        team = form.save(commit=False)
        # Only these fields: the pool's totals may have moved since the row was read.
        team.save(update_fields=["name", "budget_usd", "period", "updated_at"])
        form.save_m2m()
        messages.success(request, f"Saved {team.name}.")
        return HttpResponseRedirect(reverse("team:teams"))
    return render(
        request, "team/team.html", {"form": form, "team": team, "status": team_status(team)}
    )
