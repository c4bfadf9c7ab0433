import datetime

from django.db import migrations, models
from django.db.models import deletion

# What CERTIFICATE_VALID_DAYS gives a certificate issued from now on; certificates issued before it had
# no stated validity, and get the default from their issue date.
VALID_DAYS = 180


def backfill(apps, schema_editor):
    """Certificates issued before: a validity from their issue date, and their codes in the look-up table
    that verification now reads (core.DocumentCode)."""
    Certificate = apps.get_model("insurance", "ParticipationCertificate")
    DocumentCode = apps.get_model("core", "DocumentCode")
    codes = []
    for certificate in Certificate.objects.all().iterator():
        certificate.valid_until = certificate.issued_at.date() + datetime.timedelta(days=VALID_DAYS)
        certificate.save(update_fields=["valid_until"])
        codes.append(
            DocumentCode(
                code=certificate.verification_code,
                kind="insurance.participation_certificate",
                person_id=certificate.person_id,
                record_id=certificate.pk,
            )
        )
    DocumentCode.objects.bulk_create(codes, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_documents_agency_names_and_codes"),
        ("insurance", "0016_person_name_bigram_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="participationcertificate",
            name="verification_code",
            field=models.CharField(max_length=32),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="status",
            field=models.CharField(
                choices=[("issued", "Issued"), ("revoked", "Revoked")], default="issued", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="issuer_province",
            field=models.ForeignKey(
                help_text="Whose agency issued it.",
                null=True,
                on_delete=deletion.PROTECT,
                related_name="+",
                to="core.region",
            ),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="issuer_name",
            field=models.CharField(blank=True, help_text="The issuer as printed.", max_length=128),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="language",
            field=models.CharField(default="zh-hans", max_length=8),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="valid_until",
            field=models.DateField(help_text="The last day it verifies as valid.", null=True),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="participationcertificate",
            name="pdf",
            field=models.FileField(
                blank=True,
                help_text="The signed PDF as issued; empty for certificates issued before PDFs were kept.",
                upload_to="documents/certificates/%Y/%m/",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="participationcertificate",
            name="valid_until",
            field=models.DateField(help_text="The last day it verifies as valid."),
        ),
        migrations.AddConstraint(
            model_name="participationcertificate",
            constraint=models.UniqueConstraint(
                fields=("person", "verification_code"), name="certificate_code_per_person"
            ),
        ),
        migrations.AddIndex(
            model_name="participationcertificate",
            index=models.Index(fields=["person", "-issued_at", "-id"], name="certificate_by_person"),
        ),
    ]
