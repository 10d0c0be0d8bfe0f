"""A deleted generation wakes the live hubs too (see fluxweb/ops/notify.py): recording the
deletion (``GenerationDeletion``) notifies ``fluxweb_generations`` like any change of a
generation does. Nothing on SQLite, whose hubs poll."""

from django.db import migrations

FORWARD = [
    """CREATE TRIGGER fluxweb_generation_deleted AFTER INSERT ON generations_generationdeletion
       FOR EACH STATEMENT EXECUTE FUNCTION fluxweb_notify('fluxweb_generations')""",
]
BACKWARD = ["DROP TRIGGER IF EXISTS fluxweb_generation_deleted ON generations_generationdeletion"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, None)
    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0001_notify_triggers"),
        ("generations", "0006_generation_deletion"),
    ]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
