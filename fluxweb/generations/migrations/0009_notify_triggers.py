"""PostgreSQL triggers that NOTIFY ``fluxweb_generations`` on commit when a generation is
inserted or updated, or its deletion recorded (see fluxweb/queue/notify.py); nothing on
SQLite, whose live hubs poll. Payloads are empty, so PostgreSQL folds one transaction's
notifications into one.

The statements are idempotent: databases that had them from the former ``ops`` migrations
get them replaced, and the worker wake-up trigger those put on django-tasks-db's table is
dropped (the queue now sends that NOTIFY itself, fluxweb/queue/enqueue.py).
"""

from django.db import migrations

FORWARD = [
    """CREATE OR REPLACE FUNCTION fluxweb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$""",
    """DO $$ BEGIN
         IF to_regclass('django_tasks_database_dbtaskresult') IS NOT NULL THEN
           DROP TRIGGER IF EXISTS fluxweb_task_ready ON django_tasks_database_dbtaskresult;
         END IF;
       END $$""",
    "DROP TRIGGER IF EXISTS fluxweb_generation_changed ON generations_generation",
    """CREATE TRIGGER fluxweb_generation_changed AFTER INSERT OR UPDATE ON generations_generation
       FOR EACH STATEMENT EXECUTE FUNCTION fluxweb_notify('fluxweb_generations')""",
    "DROP TRIGGER IF EXISTS fluxweb_generation_deleted ON generations_generationdeletion",
    """CREATE TRIGGER fluxweb_generation_deleted AFTER INSERT ON generations_generationdeletion
       FOR EACH STATEMENT EXECUTE FUNCTION fluxweb_notify('fluxweb_generations')""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS fluxweb_generation_deleted ON generations_generationdeletion",
    "DROP TRIGGER IF EXISTS fluxweb_generation_changed ON generations_generation",
    "DROP FUNCTION IF EXISTS fluxweb_notify()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, None)
    return apply


class Migration(migrations.Migration):
    dependencies = [("generations", "0008_generation_search_vector")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
