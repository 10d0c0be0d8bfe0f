"""The prompt search's GIN index without a pending list (PostgreSQL).

With GIN's default ``fastupdate = on``, new entries go to an unsorted pending list that
every search reads in full, until a VACUUM (or 4 MB of entries) merges it into the index.
After 20,000 prompts were written the list held the whole index (504 pages): a search for
one word read all of it (20 ms) and the planner, knowing that, preferred scanning every
prompt (5 ms) to using the index, for the gallery's search and the prompt history's alike.
Prompts are written one at a time, at the rate people type, so inserting their few words
straight into the index costs nothing noticeable; searches then read a handful of pages
(0.2 ms for "lighthouse", 656 prompts) whenever the last VACUUM ran. The existing pending
list is merged once here.
"""

from django.db import migrations

INDEX = "prompt_text_search"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {INDEX} RESET (fastupdate)")


class Migration(migrations.Migration):

    dependencies = [
        ("generations", "0006_generation_deletion"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
