"""Periodic tasks are rows of django-celery-beat's database scheduler, added by the migrations of the
apps that own the tasks."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def schedule_every(*, name: str, task: str, every: int, period: str) -> migrations.RunPython:
    """A migration operation that schedules `task` every `every` `period` (e.g. 1, "hours")."""

    def schedule(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )

    def unschedule(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(schedule, unschedule)
