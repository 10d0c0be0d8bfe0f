from django.apps import AppConfig


class ApiConfig(AppConfig):
    """fluxweb's own OpenAI-compatible images API, with per-user tokens."""

    name = "fluxweb.api"
    label = "api"
