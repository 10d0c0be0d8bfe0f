from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running fluxweb in production: the stuck-work sweep, the worker command, /healthz."""

    name = "fluxweb.ops"
