"""Give every reservation made before holds existed a Hold, link its charge or refund and
its generation to it, so the ledger no longer needs to point at generations."""

from typing import Any

from django.db import migrations


def holds_from_ledger(apps: Any, schema_editor: Any) -> None:
    LedgerEntry = apps.get_model("budgets", "LedgerEntry")
    Hold = apps.get_model("budgets", "Hold")
    Generation = apps.get_model("generations", "Generation")
    for reservation in LedgerEntry.objects.filter(kind="reserve", hold__isnull=True).iterator():
        generation = Generation.objects.filter(pk=reservation.generation_id).first()
        later = LedgerEntry.objects.filter(generation_id=reservation.generation_id)
        later = later.exclude(kind="reserve")
        kinds = set(later.values_list("kind", flat=True)) if reservation.generation_id else set()
        state = "settled" if "charge" in kinds else "released" if "refund" in kinds else "held"
        hold = Hold.objects.create(
            user_id=reservation.user_id, model=reservation.model,
            images=generation.num_images if generation else 1,
            reserved_usd=reservation.reserved_usd,
            period_started_at=reservation.period_started_at, state=state,
        )
        Hold.objects.filter(pk=hold.pk).update(created_at=reservation.created_at)
        LedgerEntry.objects.filter(pk=reservation.pk).update(hold=hold)
        if reservation.generation_id:
            later.update(hold=hold)
            Generation.objects.filter(pk=reservation.generation_id).update(hold=hold)
    # Charges or refunds whose reservation is gone cannot be kept without a hold.
    orphans = LedgerEntry.objects.filter(hold__isnull=True)
    for entry in orphans.iterator():
        hold = Hold.objects.create(
            user_id=entry.user_id, model=entry.model, images=0, reserved_usd=0,
            period_started_at=entry.period_started_at,
            state="settled" if entry.kind == "charge" else "released",
        )
        LedgerEntry.objects.filter(pk=entry.pk).update(hold=hold)


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0002_hold"),
        ("generations", "0009_generation_hold"),
    ]

    operations = [migrations.RunPython(holds_from_ledger, migrations.RunPython.noop)]
