
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('insurance', '0008_ledger_view_contribution_credits'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contributionrecord',
            name='employer',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.employer'),
        ),
    ]
