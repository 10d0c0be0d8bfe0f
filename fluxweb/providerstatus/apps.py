from django.apps import AppConfig


class ProviderStatusConfig(AppConfig):
    """What admins see of each provider: configured or not, last success and error, credits."""

    name = "fluxweb.providerstatus"
    label = "providerstatus"
    verbose_name = "Provider status"
    default_auto_field = "django.db.models.BigAutoField"
