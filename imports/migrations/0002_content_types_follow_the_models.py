"""The content types of the moved models change app with them, so that their permissions and the admin's
log entries stay attached. A database created after the move has none yet: they are made under this app
when the migrations end."""

from django.db import migrations

MODELS = ("importjob", "importchunk", "importrowerror")


def relabel(source: str, target: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        taken = set(ContentType.objects.filter(app_label=target, model__in=MODELS).values_list("model", flat=True))
        ContentType.objects.filter(app_label=source, model__in=MODELS).exclude(model__in=taken).update(
            app_label=target
        )

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(relabel("insurance", "imports"), relabel("imports", "insurance"))]
