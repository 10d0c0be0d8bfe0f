"""What /healthz reports: is the database reachable, and how far behind is the queue."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models import Case, F, Min, When
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


def queue_health() -> dict[str, object]:
    """``{"status": "ok", "database": "ok", "queue_depth": int, "oldest_queued_age_s":
    float | None}``: tasks due now but not yet picked up, and how long (seconds) the
    oldest has waited (since enqueued, or since its ``run_after`` for scheduled ones).

    Raises :class:`DatabaseError` when the database cannot be reached.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    due = DBTaskResult.objects.ready()
    waiting_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    stats = due.aggregate(oldest=Min(waiting_since))
    depth = due.count()
    oldest = stats["oldest"]
    age = max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else None
    return {
        "status": "ok",
        "database": "ok",
        "queue_depth": depth,
        "oldest_queued_age_s": round(age, 3) if age is not None else None,
    }


def health() -> tuple[dict[str, object], int]:
    """The /healthz body and HTTP status: 200, or 503 when the database is unreachable."""
    try:
        return queue_health(), 200
    except DatabaseError:
        connection.close()  # the next check starts from a fresh connection
        return {"status": "error", "database": "unreachable"}, 503
