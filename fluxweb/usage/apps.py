from django.apps import AppConfig


class UsageConfig(AppConfig):
    """Usage reports and charts: spend from the budgets ledger, with generation facts
    (estimate vs actual, which generation a ledger row was for)."""

    name = "fluxweb.usage"
    default_auto_field = "django.db.models.BigAutoField"
