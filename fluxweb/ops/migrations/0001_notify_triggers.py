"""PostgreSQL triggers that NOTIFY on commit (see fluxweb/ops/notify.py); nothing on SQLite.

A task row inserted or updated as READY notifies ``fluxweb_tasks``; any insert or update of
a generation notifies ``fluxweb_generations``. Payloads are empty, so PostgreSQL folds the
notifications of one transaction into one.
"""

from django.db import migrations

FORWARD = [
    """CREATE FUNCTION fluxweb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$""",
    """CREATE TRIGGER fluxweb_task_ready
       AFTER INSERT OR UPDATE OF status ON django_tasks_database_dbtaskresult
       FOR EACH ROW WHEN (NEW.status = 'READY') EXECUTE FUNCTION fluxweb_notify('fluxweb_tasks')""",
    """CREATE TRIGGER fluxweb_generation_changed AFTER INSERT OR UPDATE ON generations_generation
       FOR EACH STATEMENT EXECUTE FUNCTION fluxweb_notify('fluxweb_generations')""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS fluxweb_generation_changed ON generations_generation",
    "DROP TRIGGER IF EXISTS fluxweb_task_ready ON django_tasks_database_dbtaskresult",
    "DROP FUNCTION IF EXISTS fluxweb_notify()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, None)
    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0004_generation_provider_called_at_requeues"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
