"""Admin for prices, budget defaults, quotas (with usage bars and bulk actions), and the
read-only holds and ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from fluxweb.core.money import format_usd
from fluxweb.providers.registry import get_registry

from .forms import ModelLimitForm, SetBudgetForm
from .maintenance import recompute, reset_period, set_budget
from .models import (
    BudgetDefaults,
    DefaultModelLimit,
    Hold,
    LedgerEntry,
    ModelPrice,
    Quota,
    QuotaModelLimit,
    Team,
)
from .periods import period_start
from .prices import ensure_prices
from .services import status_of, team_status

EDITABLE_QUOTA_FIELDS = ["budget_usd", "period", "images_per_day"]


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = [
        "model_id",
        "model_label",
        "basis",
        "usd_per_unit",
        "steps_per_unit",
        "images_per_hour",
        "example",
        "source",
    ]
    list_filter = ["basis"]
    search_fields = ["model_id"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Models enabled since the last migrate get their default row here.
        ensure_prices()
        return super().changelist_view(request, extra_context)

    @admin.display(description="Model")
    def model_label(self, obj: ModelPrice) -> str:
        spec = get_registry().models.get(obj.model_id)
        return spec.label if spec else "(not enabled)"

    @admin.display(description="1024², default steps, 1 image")
    def example(self, obj: ModelPrice) -> str:
        spec = get_registry().models.get(obj.model_id)
        steps = (spec.default_steps if spec else None) or 1
        return format_usd(obj.as_price().estimate(1024, 1024, steps, 1))


class DefaultModelLimitInline(admin.TabularInline):
    model = DefaultModelLimit
    form = ModelLimitForm
    extra = 1
    verbose_name = verbose_name_plural = "per-model daily image limits for new users"


@admin.register(BudgetDefaults)
class BudgetDefaultsAdmin(admin.ModelAdmin):
    inlines = [DefaultModelLimitInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        defaults = BudgetDefaults.load()
        return HttpResponseRedirect(
            reverse("admin:budgets_budgetdefaults_change", args=[defaults.pk])
        )


class QuotaModelLimitInline(admin.TabularInline):
    model = QuotaModelLimit
    form = ModelLimitForm
    extra = 1
    verbose_name = verbose_name_plural = "per-model daily image limits"


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "budget",
        "period",
        "spent",
        "held",
        "remaining",
        "usage_bar",
        "images_per_day",
    ]
    list_filter = ["period"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = ["user", *EDITABLE_QUOTA_FIELDS, "period_started_at", "reserved_usd", "spent_usd"]
    readonly_fields = ["user", "period_started_at", "reserved_usd", "spent_usd"]
    inlines = [QuotaModelLimitInline]
    actions = ["set_budget_action", "reset_period_action", "recompute_action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every user gets one automatically, from the defaults

    def save_model(self, request: HttpRequest, obj: Quota, form: Any, change: bool) -> None:
        # Only the admin's fields: the totals may have moved since the form was loaded.
        obj.save(update_fields=[*EDITABLE_QUOTA_FIELDS, "updated_at"])

    @admin.display(description="Budget")
    def budget(self, obj: Quota) -> str:
        return "no limit" if obj.budget_usd is None else format_usd(obj.budget_usd)

    @admin.display(description="Spent this period")
    def spent(self, obj: Quota) -> str:
        return format_usd(status_of(obj).spent_usd)

    @admin.display(description="Held (in progress)")
    def held(self, obj: Quota) -> str:
        return format_usd(status_of(obj).reserved_usd)

    @admin.display(description="Remaining")
    def remaining(self, obj: Quota) -> str:
        return format_usd(status_of(obj).remaining_usd)

    @admin.display(description="Usage")
    def usage_bar(self, obj: Quota) -> str:
        status = status_of(obj)
        if status.budget_usd is None:
            return "—"
        percent = round(status.used_fraction * 100)
        return format_html(
            '<meter min="0" max="100" low="75" high="90" optimum="0" value="{}" title="{}%">'
            "{}%</meter> {}%",
            percent,
            percent,
            percent,
            percent,
        )

    @admin.action(description="Set budget of selected quotas…")
    def set_budget_action(
        self, request: HttpRequest, queryset: QuerySet[Quota]
    ) -> TemplateResponse | None:
        form = SetBudgetForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            count = set_budget(
                queryset, form.cleaned_data["budget_usd"], form.cleaned_data["period"] or None
            )
            self.message_user(request, f"Set the budget of {count} quotas.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/budgets/set_budget.html",
            {
                **self.admin_site.each_context(request),
                "title": "Set budget",
                "form": form,
                "quotas": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Reset period of selected quotas (start counting from zero now)")
    def reset_period_action(self, request: HttpRequest, queryset: QuerySet[Quota]) -> None:
        count = reset_period(queryset)
        self.message_user(request, f"Started a new period for {count} quotas.", messages.SUCCESS)

    @admin.action(description="Recompute totals from the ledger")
    def recompute_action(self, request: HttpRequest, queryset: QuerySet[Quota]) -> None:
        fixed = sum(recompute(quota) for quota in queryset)
        self.message_user(
            request, f"Checked {queryset.count()} quotas against the ledger; {fixed} corrected."
        )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams and their shared pools; the members page (/team/teams/) is the everyday place."""

    list_display = ["name", "budget", "period", "remaining"]
    fields = [
        "name",
        "members",
        "budget_usd",
        "period",
        "period_started_at",
        "reserved_usd",
        "spent_usd",
    ]
    readonly_fields = ["period_started_at", "reserved_usd", "spent_usd"]
    filter_horizontal = ["members"]
    actions = ["recompute_action"]

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        if change:  # only the admin's fields: the totals may have moved since the form was loaded
            obj.save(update_fields=["name", "budget_usd", "period", "updated_at"])
        else:
            obj.period_started_at = period_start(obj.period, timezone.now())
            obj.save()

    @admin.display(description="Budget")
    def budget(self, obj: Team) -> str:
        return "no limit" if obj.budget_usd is None else format_usd(obj.budget_usd)

    @admin.display(description="Remaining")
    def remaining(self, obj: Team) -> str:
        return format_usd(team_status(obj).remaining_usd)

    @admin.action(description="Recompute totals from the ledger")
    def recompute_action(self, request: HttpRequest, queryset: QuerySet[Team]) -> None:
        fixed = sum(recompute(team) for team in queryset)
        self.message_user(
            request, f"Checked {queryset.count()} teams against the ledger; {fixed} corrected."
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """The ledger is append-only: viewable and filterable, never edited here."""

    list_display = [
        "created_at",
        "user",
        "team",
        "kind",
        "model",
        "hold_link",
        "reserved",
        "charged",
        "note",
    ]
    list_filter = [
        "kind",
        ("user", admin.RelatedOnlyFieldListFilter),
        "team",
        "model",
        "created_at",
    ]
    date_hierarchy = "created_at"
    search_fields = ["user__username", "model", "note"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Hold")
    def hold_link(self, obj: LedgerEntry) -> str:
        url = reverse("admin:budgets_hold_change", args=[obj.hold_id])
        return format_html('<a href="{}">#{}</a>', url, obj.hold_id)

    @admin.display(description="Held Δ (USD)")
    def reserved(self, obj: LedgerEntry) -> str:
        return format_usd(obj.reserved_usd)

    @admin.display(description="Spent Δ (USD)")
    def charged(self, obj: LedgerEntry) -> str:
        return format_usd(obj.charged_usd)


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    """Money and images held per request, and whether they were settled or released;
    read-only like the ledger (the services alone move a hold along)."""

    list_display = ["created_at", "user", "team", "model", "images", "held", "state"]
    list_filter = ["state", ("user", admin.RelatedOnlyFieldListFilter), "model", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["user__username", "model"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Held (USD)")
    def held(self, obj: Hold) -> str:
        return format_usd(obj.reserved_usd)
