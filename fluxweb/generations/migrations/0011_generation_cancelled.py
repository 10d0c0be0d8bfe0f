# Cancelling generations: the "cancelled" status and when a cancel was asked for.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('generations', '0010_merge_0009_generation_hold_0009_notify_triggers'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='generation',
            name='generation_status_valid',
        ),
        migrations.AddField(
            model_name='generation',
            name='cancel_requested_at',
            field=models.DateTimeField(blank=True, help_text='when someone cancelled it while it was queued or running', null=True),
        ),
        migrations.AlterField(
            model_name='generation',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='generation',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'running', 'succeeded', 'failed', 'cancelled'])), name='generation_status_valid'),
        ),
    ]
