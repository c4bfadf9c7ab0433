"""Import jobs, their chunk markers and row errors, moved here from the insurance app with their rows:
insurance's 0011 renamed the tables to this app's names, so this migration only takes the models into
this app's state and leaves the database as it is."""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0005_state_events'),
        ('insurance', '0011_imports_move_to_their_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('persons', 'Persons'), ('contributions', 'Contributions'), ('deaths', 'Deaths'), ('life_evidence', 'Life evidence')], max_length=16)),
                        ('file', models.FileField(upload_to='imports/')),
                        ('file_name', models.CharField(max_length=255)),
                        ('file_sha256', models.CharField(max_length=64)),
                        ('dry_run', models.BooleanField(default=False)),
                        ('expected_rows', models.PositiveIntegerField(blank=True, null=True)),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=10)),
                        ('rows_total', models.PositiveIntegerField(default=0)),
                        ('rows_processed', models.PositiveIntegerField(default=0)),
                        ('rows_accepted', models.PositiveIntegerField(default=0)),
                        ('rows_rejected', models.PositiveIntegerField(default=0)),
                        ('cancel_requested', models.BooleanField(default=False)),
                        ('failure_code', models.CharField(blank=True, max_length=64)),
                        ('failure_message', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                        ('province', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                ),
                migrations.CreateModel(
                    name='ImportChunk',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('rows', models.PositiveIntegerField()),
                        ('accepted', models.PositiveIntegerField()),
                        ('rejected', models.PositiveIntegerField()),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='imports.importjob')),
                    ],
                ),
                migrations.CreateModel(
                    name='ImportRowError',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('row', models.PositiveIntegerField(help_text='Line of the file, the header being line 1.')),
                        ('column', models.CharField(blank=True, max_length=64)),
                        ('code', models.CharField(max_length=64)),
                        ('message', models.CharField(max_length=500)),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='row_errors', to='imports.importjob')),
                    ],
                ),
                migrations.AddIndex(
                    model_name='importjob',
                    index=models.Index(fields=['state', 'heartbeat_at'], name='imports_imp_state_9486be_idx'),
                ),
                migrations.AddConstraint(
                    model_name='importjob',
                    constraint=models.UniqueConstraint(condition=models.Q(('dry_run', False)), fields=('province', 'kind', 'file_sha256'), name='one_import_per_file'),
                ),
                migrations.AddConstraint(
                    model_name='importjob',
                    constraint=models.CheckConstraint(condition=models.Q(('rows_processed__gte', django.db.models.expressions.CombinedExpression(models.F('rows_accepted'), '+', models.F('rows_rejected')))), name='import_counts_consistent'),
                ),
                migrations.AddConstraint(
                    model_name='importchunk',
                    constraint=models.UniqueConstraint(fields=('job', 'number'), name='one_marker_per_chunk'),
                ),
                migrations.AddIndex(
                    model_name='importrowerror',
                    index=models.Index(fields=['job', 'row'], name='imports_imp_job_id_749f7d_idx'),
                ),
            ],
        ),
    ]
