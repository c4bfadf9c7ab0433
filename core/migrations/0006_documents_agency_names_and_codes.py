from django.db import migrations, models


def name_agencies(apps, schema_editor):
    """Each province's social insurance agency, as documents print it until an administrator enters the
    agency's own name (the admin's Regions page)."""
    Region = apps.get_model("core", "Region")
    for region in Region.objects.all():
        region.agency_name_zh = f"{region.name_zh}社会保险事业管理中心"
        region.agency_name = f"{region.name} Social Insurance Agency"
        region.save(update_fields=["agency_name_zh", "agency_name"])


class Migration(migrations.Migration):
    dependencies = [("core", "0005_state_events")]

    operations = [
        migrations.AddField(
            model_name="region",
            name="agency_name_zh",
            field=models.CharField(
                default="",
                help_text="E.g. 北京市社会保险事业管理中心: printed as the issuer and round the seal.",
                max_length=64,
                verbose_name="social insurance agency (Chinese)",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="region",
            name="agency_name",
            field=models.CharField(
                default="",
                help_text="The issuer printed on documents in English.",
                max_length=128,
                verbose_name="social insurance agency (English)",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(name_agencies, migrations.RunPython.noop),
        migrations.CreateModel(
            name="DocumentCode",
            fields=[
                ("code", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("kind", models.CharField(max_length=64)),
                ("person_id", models.BigIntegerField()),
                (
                    "record_id",
                    models.BigIntegerField(
                        help_text="Empty only inside the transaction that issues.", null=True
                    ),
                ),
            ],
        ),
    ]
