from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    """Submitting generations and running them on providers in the background."""

    name = "fluxweb.generations"
    default_auto_field = "django.db.models.BigAutoField"
