"""The uploads stored before encryption at rest are encrypted now (imports.storage), the plain copies
removed; and the retention rule that deletes stored files after their job ended runs every hour."""

from pathlib import Path

from django.conf import settings
from django.db import migrations

from core.beat import schedule_every

_BLOCK = 1 << 20


def encrypt_stored_files(apps, schema_editor):
    from imports.storage import MAGIC, upload_store

    ImportJob = apps.get_model("imports", "ImportJob")
    for job in ImportJob.objects.exclude(file="").only("pk", "file").iterator():
        plain = Path(settings.MEDIA_ROOT) / job.file.name
        if not plain.is_file():
            ImportJob.objects.filter(pk=job.pk).update(file="")
            continue
        with plain.open("rb") as source:
            if source.read(len(MAGIC)) == MAGIC:
                continue
            source.seek(0)
            stored, _ = upload_store(iter(lambda source=source: source.read(_BLOCK), b""))
        ImportJob.objects.filter(pk=job.pk).update(file=stored.name)
        plain.unlink()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0006_encrypted_files_attempts_and_row_values"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(encrypt_stored_files, migrations.RunPython.noop),
        schedule_every(
            name="imports: delete stored files past retention",
            task="imports.purge_expired_files",
            every=1,
            period="hours",
        ),
    ]
