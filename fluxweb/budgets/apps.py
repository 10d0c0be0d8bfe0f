from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    """Prices, per-user quotas, holds and the spending ledger (no knowledge of what is bought)."""

    name = "fluxweb.budgets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect_post_migrate(self)
