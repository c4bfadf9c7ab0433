"""The periodic recovery of stalled import jobs (scheduled by insurance's 0004) runs the task under its
new name, `imports.resume_stalled_jobs`."""

from django.db import migrations
from django.utils import timezone

OLD = ("insurance: resume stalled import jobs", "insurance.resume_stalled_imports")
NEW = ("imports: resume stalled import jobs", "imports.resume_stalled_jobs")


def point(source: tuple[str, str], target: tuple[str, str]):
    def move(apps, schema_editor):
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        if PeriodicTask.objects.filter(name=source[0], task=source[1]).update(name=target[0], task=target[1]):
            # What PeriodicTasks.update_changed() does on save: a running beat reloads its schedule.
            apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
                ident=1, defaults={"last_update": timezone.now()}
            )

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_content_types_follow_the_models"),
        ("insurance", "0004_schedule_stalled_import_recovery"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(point(OLD, NEW), point(NEW, OLD))]
