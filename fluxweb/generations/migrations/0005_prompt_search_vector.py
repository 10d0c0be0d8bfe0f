"""A stored tsvector for the prompt search (PostgreSQL).

The gallery's broad search ("lighthouse") walks the newest generations and checks each
one's prompt; with only an expression index PostgreSQL computed to_tsvector() on every
prompt it checked (~20 µs each, ~35 ms for a page). The column is kept by a trigger (so
bulk_create and raw writes keep it right too) and the GIN index moves onto it under the
same name. SQLite gets the column (always NULL) and keeps its LIKE fallback.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX = "prompt_text_search"

FORWARD = f"""
DROP INDEX IF EXISTS {INDEX};
CREATE FUNCTION generations_prompt_search_vector() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.search_vector IS NULL OR NEW.text IS DISTINCT FROM OLD.text THEN
        NEW.search_vector := to_tsvector('english'::regconfig, COALESCE(NEW.text, ''));
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER generations_prompt_search_vector BEFORE INSERT OR UPDATE ON generations_prompt
    FOR EACH ROW EXECUTE FUNCTION generations_prompt_search_vector();
UPDATE generations_prompt SET search_vector = to_tsvector('english'::regconfig, COALESCE(text, ''));
CREATE INDEX {INDEX} ON generations_prompt USING gin (search_vector);
"""

BACKWARD = f"""
DROP INDEX IF EXISTS {INDEX};
DROP TRIGGER IF EXISTS generations_prompt_search_vector ON generations_prompt;
DROP FUNCTION IF EXISTS generations_prompt_search_vector();
CREATE INDEX {INDEX} ON generations_prompt USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')));
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ("generations", "0004_generation_provider_called_at_requeues"),
    ]

    operations = [
        migrations.AddField(
            model_name="prompt",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
