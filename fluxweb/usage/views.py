"""The usage page (admins: everyone's spend; members: their own) and its CSV export."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fluxweb.budgets.services import budget_status, team_status
from fluxweb.budgets.teams import teams_of
from fluxweb.core.http import AuthenticatedHttpRequest

from .charts import stacked_bars
from .forms import UsageFilterForm
from .reports import build_report, csv_rows


@require_GET
def usage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Spend per user and per model per day (SVG charts), totals, estimate vs actual.

    HTMX requests (the filter form) get the report section only.
    """
    form = UsageFilterForm(request.GET or None, viewer=request.user)
    usage_filter = form.usage_filter()
    report = build_report(usage_filter)
    days = usage_filter.days
    charts = [stacked_bars("Spend per model", days, report.spend_by_model)]
    if request.user.is_staff:
        charts.insert(0, stacked_bars("Spend per user", days, report.spend_by_user))
    context = {
        "form": form,
        "report": report,
        "charts": charts,
        "budget": budget_status(request.user),
        "team_budgets": [team_status(team) for team in teams_of(request.user)],
        "query": request.GET.urlencode(),
    }
    template = "usage/usage.html#report" if request.htmx else "usage/usage.html"
    return render(request, template, context)


@require_GET
def usage_csv(request: HttpRequest) -> HttpResponse:
    """The ledger rows behind the usage page's current filter, as CSV (UTF-8)."""
    usage_filter = UsageFilterForm(request.GET or None, viewer=request.user).usage_filter()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"fluxweb-usage-{usage_filter.start}-{usage_filter.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerows(csv_rows(usage_filter))
    return response
