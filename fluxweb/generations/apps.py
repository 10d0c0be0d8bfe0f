from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    """Submitting generations, running them on providers in the background, and sweeping
    up after dead workers."""

    name = "fluxweb.generations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fluxweb.queue.signals import worker_starting

        from .sweep import start_periodic_sweep

        # Every worker process keeps sweeping while it runs.
        worker_starting.connect(start_periodic_sweep, dispatch_uid="generations.sweep")
