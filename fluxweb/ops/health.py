"""What /healthz reports: is the database reachable, and how far behind is the queue."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.utils import timezone

from fluxweb.generations.models import Generation


def queue_health() -> dict[str, object]:
    """``{"status": "ok", "database": "ok", "queue_depth": int, "oldest_queued_age_s":
    float | None}``: generations queued but not yet picked up by a worker, and how long
    (seconds) the oldest has waited since it was queued (or last requeued). Read from
    fluxweb's own rows, so the same on every task backend.

    Raises :class:`DatabaseError` when the database cannot be reached.
    """
    stats = Generation.objects.filter(status=Generation.Status.QUEUED).aggregate(
        depth=Count("pk"), oldest=Min("updated_at")
    )
    oldest = stats["oldest"]
    age = max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else None
    return {
        "status": "ok",
        "database": "ok",
        "queue_depth": stats["depth"],
        "oldest_queued_age_s": round(age, 3) if age is not None else None,
    }


def health() -> tuple[dict[str, object], int]:
    """The /healthz body and HTTP status: 200, or 503 when the database is unreachable."""
    try:
        return queue_health(), 200
    except DatabaseError:
        connection.close()  # the next check starts from a fresh connection
        return {"status": "error", "database": "unreachable"}, 503
