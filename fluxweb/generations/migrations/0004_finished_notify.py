"""PostgreSQL only: ``NOTIFY fluxweb_finished`` with a generation's id as payload when it
finishes (its status becomes succeeded, failed or cancelled) or is deleted, once per row, in
the transaction that does it (delivered when it commits). The API's waiting requests wake on
it without a query (fluxweb/api/waiting.py); fluxweb/queue/notify.py names the channel.
SQLite gets nothing: waiting requests poll there.
"""

from importlib import import_module

from django.db import migrations

# The PostgreSQL-only runner of the app's other trigger migration (a migration module's
# name starts with a digit, so it is imported by name).
run = import_module("fluxweb.generations.migrations.0002_postgresql").run

FORWARD = [
    """CREATE FUNCTION fluxweb_notify_finished() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('fluxweb_finished', OLD.id::text);
            ELSE
                PERFORM pg_notify('fluxweb_finished', NEW.id::text);
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER fluxweb_generation_finished AFTER UPDATE OF status ON generations_generation
        FOR EACH ROW
        WHEN (NEW.status IN ('succeeded', 'failed', 'cancelled') AND OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION fluxweb_notify_finished()""",
    """CREATE TRIGGER fluxweb_generation_gone AFTER DELETE ON generations_generation
        FOR EACH ROW EXECUTE FUNCTION fluxweb_notify_finished()""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS fluxweb_generation_gone ON generations_generation",
    "DROP TRIGGER IF EXISTS fluxweb_generation_finished ON generations_generation",
    "DROP FUNCTION IF EXISTS fluxweb_notify_finished()",
]


class Migration(migrations.Migration):
    dependencies = [("generations", "0003_compare_routing_safety")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
