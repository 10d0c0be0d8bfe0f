from django.apps import AppConfig


class QueueConfig(AppConfig):
    """The task queue seam: enqueueing, waking workers, and the worker command."""

    name = "fluxweb.queue"
