"""Import jobs move to the `imports` app, with their rows: the tables are renamed to that app's names and
leave this app's state, and imports' 0001 takes them into its state without touching the database.

The two indexes named after their table are renamed with it, to the names the imports app gives them.
Constraints, foreign keys and sequences keep their names and follow the renamed tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("insurance", "0010_contribution_key_period_second"),
    ]

    operations = [
        migrations.AlterModelTable(name="importjob", table="imports_importjob"),
        migrations.AlterModelTable(name="importchunk", table="imports_importchunk"),
        migrations.AlterModelTable(name="importrowerror", table="imports_importrowerror"),
        migrations.RenameIndex(
            model_name="importjob",
            old_name="insurance_i_state_71c069_idx",
            new_name="imports_imp_state_9486be_idx",
        ),
        migrations.RenameIndex(
            model_name="importrowerror",
            old_name="insurance_i_job_id_dd12a5_idx",
            new_name="imports_imp_job_id_749f7d_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="importrowerror"),
                migrations.DeleteModel(name="importchunk"),
                migrations.DeleteModel(name="importjob"),
            ],
        ),
    ]
