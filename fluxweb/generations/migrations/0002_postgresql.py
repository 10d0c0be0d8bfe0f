"""What only PostgreSQL gets, on the generations app's own tables: the search vectors and
their GIN indexes, and the NOTIFY triggers of the live gallery. SQLite gets none of it
(the search falls back to LIKE; live hubs poll).

- ``generations_prompt.search_vector`` is kept by a trigger (bulk_create and raw writes
  too), and ``generations_generation.search_vector`` copies its prompt's, so the gallery's
  search tests each generation row in place. Both GIN indexes have no pending list
  (``fastupdate = off``): prompts are written at the rate people type, and a pending list
  would be read in full by every search until a VACUUM merges it. docs/gallery.md has the
  measurements behind each choice.
- ``fluxweb_notify`` sends ``NOTIFY fluxweb_generations`` once per statement that inserts or
  updates a generation or records a deletion (fluxweb/queue/notify.py listens). Payloads
  are empty, so PostgreSQL folds one transaction's notifications into one.
"""

from django.db import migrations

FORWARD = [
    """CREATE FUNCTION generations_prompt_search_vector() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR NEW.search_vector IS NULL OR NEW.text IS DISTINCT FROM OLD.text THEN
            NEW.search_vector := to_tsvector('english'::regconfig, COALESCE(NEW.text, ''));
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER generations_prompt_search_vector BEFORE INSERT OR UPDATE ON generations_prompt
        FOR EACH ROW EXECUTE FUNCTION generations_prompt_search_vector()""",
    """CREATE INDEX prompt_text_search ON generations_prompt USING gin (search_vector)
        WITH (fastupdate = off)""",
    """CREATE FUNCTION generations_generation_search_vector() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR NEW.prompt_id IS DISTINCT FROM OLD.prompt_id OR NEW.search_vector IS NULL THEN
            NEW.search_vector := (SELECT search_vector FROM generations_prompt WHERE id = NEW.prompt_id);
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER generations_generation_search_vector BEFORE INSERT OR UPDATE ON generations_generation
        FOR EACH ROW EXECUTE FUNCTION generations_generation_search_vector()""",
    """CREATE INDEX generation_prompt_search ON generations_generation USING gin (search_vector)
        WITH (fastupdate = off)""",
    """CREATE FUNCTION fluxweb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$""",
    """CREATE TRIGGER fluxweb_generation_changed AFTER INSERT OR UPDATE ON generations_generation
        FOR EACH STATEMENT EXECUTE FUNCTION fluxweb_notify('fluxweb_generations')""",
    """CREATE TRIGGER fluxweb_generation_deleted AFTER INSERT ON generations_generationdeletion
        FOR EACH STATEMENT EXECUTE FUNCTION fluxweb_notify('fluxweb_generations')""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS fluxweb_generation_deleted ON generations_generationdeletion",
    "DROP TRIGGER IF EXISTS fluxweb_generation_changed ON generations_generation",
    "DROP FUNCTION IF EXISTS fluxweb_notify()",
    "DROP INDEX IF EXISTS generation_prompt_search",
    "DROP TRIGGER IF EXISTS generations_generation_search_vector ON generations_generation",
    "DROP FUNCTION IF EXISTS generations_generation_search_vector()",
    "DROP INDEX IF EXISTS prompt_text_search",
    "DROP TRIGGER IF EXISTS generations_prompt_search_vector ON generations_prompt",
    "DROP FUNCTION IF EXISTS generations_prompt_search_vector()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("generations", "0001_initial")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
