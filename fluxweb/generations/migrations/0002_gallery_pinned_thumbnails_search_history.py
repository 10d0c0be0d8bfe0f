"""Gallery features: pinned flag, WebP thumbnails, prompt history counters, the indexes
the gallery filters and keyset pages use, and (PostgreSQL only) the full-text GIN index."""

import fluxweb.generations.models
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models import Count, Max

SEARCH_INDEX = "prompt_text_search"


def backfill_prompt_usage(apps, schema_editor):
    """use_count / last_used_at of existing prompts, from their generations."""
    Prompt = apps.get_model("generations", "Prompt")
    for prompt in Prompt.objects.annotate(n=Count("generations"), last=Max("generations__created_at")).iterator():
        Prompt.objects.filter(pk=prompt.pk).update(use_count=prompt.n, last_used_at=prompt.last)


def search_index(apps):
    # Must stay the same expression as fluxweb.generations.models.prompt_search_vector().
    return GinIndex(SearchVector("text", config="english"), name=SEARCH_INDEX)


def add_search_index(apps, schema_editor):
    """GIN over to_tsvector('english', text): PostgreSQL only (SQLite searches with LIKE)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("generations", "Prompt"), search_index(apps))


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("generations", "Prompt"), search_index(apps))


class Migration(migrations.Migration):

    dependencies = [
        ('generations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='generatedimage',
            name='thumbnail',
            field=models.FileField(blank=True, max_length=255, upload_to=fluxweb.generations.models.thumbnail_upload_to),
        ),
        migrations.AddField(
            model_name='generation',
            name='pinned',
            field=models.BooleanField(default=False, help_text='highlighted for the whole team (admins set it)'),
        ),
        migrations.AddField(
            model_name='prompt',
            name='last_used_at',
            field=models.DateTimeField(blank=True, help_text='when the latest one was submitted', null=True),
        ),
        migrations.AddField(
            model_name='prompt',
            name='use_count',
            field=models.PositiveIntegerField(default=0, help_text='generations that used this prompt'),
        ),
        migrations.AddIndex(
            model_name='generation',
            index=models.Index(fields=['author', '-created_at', '-id'], name='generation_author_newest'),
        ),
        migrations.AddIndex(
            model_name='generation',
            index=models.Index(fields=['model', '-created_at', '-id'], name='generation_model_newest'),
        ),
        migrations.AddIndex(
            model_name='generation',
            index=models.Index(fields=['status', '-created_at', '-id'], name='generation_status_newest'),
        ),
        migrations.AddIndex(
            model_name='generation',
            index=models.Index(fields=['prompt', '-created_at', '-id'], name='generation_prompt_newest'),
        ),
        migrations.AddIndex(
            model_name='generation',
            index=models.Index(condition=models.Q(('pinned', True)), fields=['-created_at', '-id'], name='generation_pinned_newest'),
        ),
        migrations.AddIndex(
            model_name='prompt',
            index=models.Index(fields=['-last_used_at', '-id'], name='prompt_recent'),
        ),
        migrations.RunPython(backfill_prompt_usage, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_search_index, remove_search_index),
    ]
