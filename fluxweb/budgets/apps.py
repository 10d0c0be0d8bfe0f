from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    """Prices, per-user quotas, the spending ledger and usage reports."""

    name = "fluxweb.budgets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect_post_migrate(self)
