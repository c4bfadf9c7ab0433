"""A citizen's inbox (insurance.models.inbox): messages to one person, indexed by person."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insurance", "0013_ledger_schemes_causes_corrections"),
    ]

    operations = [
        migrations.CreateModel(
            name="InboxMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(help_text="A short stable code, such as transfer_step.", max_length=48),
                ),
                ("title", models.CharField(max_length=200)),
                ("body", models.TextField(blank=True)),
                (
                    "subject_type",
                    models.CharField(
                        blank=True,
                        help_text="What it is about, as app_label.model (or empty).",
                        max_length=100,
                    ),
                ),
                ("subject_id", models.BigIntegerField(blank=True, null=True)),
                ("read_at", models.DateTimeField(blank=True, help_text="Empty while unread.", null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="insurance.insuredperson",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["person", "-created_at", "-id"], name="inbox_by_person_newest"),
                    models.Index(
                        condition=models.Q(("read_at__isnull", True)),
                        fields=["person", "-created_at", "-id"],
                        name="inbox_unread_by_person",
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("kind__regex", "^[a-z][a-z0-9_]*$")), name="inbox_kind_shape"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("subject_id__isnull", True), ("subject_type", "")),
                            models.Q(
                                models.Q(("subject_type", ""), _negated=True), ("subject_id__isnull", False)
                            ),
                            _connector="OR",
                        ),
                        name="inbox_subject_type_and_id_together",
                    ),
                ],
            },
        ),
    ]
