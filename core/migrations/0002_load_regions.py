from django.db import migrations

from core.regions import PROVINCES


def load_regions(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    for code, name, name_zh in PROVINCES:
        Region.objects.update_or_create(code=code, defaults={"name": name, "name_zh": name_zh})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
