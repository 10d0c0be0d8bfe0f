from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running fluxweb in production: /healthz."""

    name = "fluxweb.ops"
