"""Signals of the queue seam."""

from django.dispatch import Signal

# Sent by ``manage.py worker`` in its main process before it starts running tasks, with
# ``stop`` (a ``threading.Event`` set when the worker shuts down). Apps hook periodic
# upkeep on it (the stuck-work sweep).
worker_starting = Signal()
