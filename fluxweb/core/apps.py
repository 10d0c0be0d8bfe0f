from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide pieces: operations commands (ensure_admin) and shared templates."""

    name = "fluxweb.core"
