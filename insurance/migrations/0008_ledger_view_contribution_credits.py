import django.db.models.deletion
from django.db import migrations, models



# The ledger's contribution credits were copies of the employee-pension records' account_credit. The view
# reads them from the records themselves: one row per month instead of two, and no way for the two to
# disagree. The copies go (the append-only trigger is lifted for that one statement); going back writes
# them again from the records.
CONTRIBUTION_COPIES_DELETE = """
ALTER TABLE insurance_accountentry DISABLE TRIGGER insurance_accountentry_append_only;
DELETE FROM insurance_accountentry WHERE kind = 'contribution';
ALTER TABLE insurance_accountentry ENABLE TRIGGER insurance_accountentry_append_only;
"""
CONTRIBUTION_COPIES_RESTORE = """
INSERT INTO insurance_accountentry (person_id, province_id, kind, amount, period, contribution_id, created_at)
SELECT person_id, province_id, 'contribution', account_credit, period, id, created_at
  FROM insurance_contributionrecord WHERE scheme = 'EP' AND account_credit > 0;
"""

LEDGER_VIEW = """
CREATE VIEW insurance_ledger AS
SELECT 2 * id AS id, person_id, province_id, 'contribution'::varchar(16) AS kind,
       account_credit AS amount, period, id AS contribution_id, created_at
  FROM insurance_contributionrecord
 WHERE scheme = 'EP' AND account_credit > 0
UNION ALL
SELECT 2 * id + 1, person_id, province_id, kind, amount, period, NULL::bigint, created_at
  FROM insurance_accountentry;
"""

# Contribution records carry the ledger's credits: append-only like the ledger. Persons and employers
# have no foreign key from the contribution records (see ContributionRecord.person): deleting one that
# still has records is refused here instead, as the foreign key would have refused it.
GUARDS = """
-- The ledger's function now serves both of its tables: named for what it does.
ALTER FUNCTION insurance_accountentry_append_only() RENAME TO insurance_append_only;
CREATE OR REPLACE FUNCTION insurance_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER insurance_contributionrecord_append_only
    BEFORE UPDATE OR DELETE ON insurance_contributionrecord
    FOR EACH ROW EXECUTE FUNCTION insurance_append_only();

CREATE FUNCTION insurance_refuse_delete_with_contributions() RETURNS trigger AS $$
BEGIN
    IF (TG_TABLE_NAME = 'insurance_insuredperson'
        AND EXISTS (SELECT 1 FROM insurance_contributionrecord WHERE person_id = OLD.id))
       OR (TG_TABLE_NAME = 'insurance_employer'
           AND EXISTS (SELECT 1 FROM insurance_contributionrecord WHERE employer_id = OLD.id)) THEN
        RAISE EXCEPTION '% % has contribution records: delete refused', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER insurance_insuredperson_keep_referenced
    BEFORE DELETE ON insurance_insuredperson
    FOR EACH ROW EXECUTE FUNCTION insurance_refuse_delete_with_contributions();
CREATE TRIGGER insurance_employer_keep_referenced
    BEFORE DELETE ON insurance_employer
    FOR EACH ROW EXECUTE FUNCTION insurance_refuse_delete_with_contributions();
"""
GUARDS_REMOVE = """
DROP TRIGGER insurance_employer_keep_referenced ON insurance_employer;
DROP TRIGGER insurance_insuredperson_keep_referenced ON insurance_insuredperson;
DROP FUNCTION insurance_refuse_delete_with_contributions();
DROP TRIGGER insurance_contributionrecord_append_only ON insurance_contributionrecord;
ALTER FUNCTION insurance_append_only() RENAME TO insurance_accountentry_append_only;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_seed_calendar'),
        ('insurance', '0007_identity_read_log_without_row_locks'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('contribution', 'Contribution credit'), ('interest', 'Yearly interest'), ('transfer_in', 'Transfer in'), ('transfer_out', 'Transfer out')], max_length=16)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('period', models.PositiveIntegerField(help_text='The month (YYYYMM) the entry belongs to.')),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'personal-account ledger entry',
                'verbose_name_plural': 'personal-account ledger',
                'db_table': 'insurance_ledger',
                'managed': False,
            },
        ),
        migrations.AlterModelOptions(
            name='accountentry',
            options={'verbose_name': 'interest or transfer entry', 'verbose_name_plural': 'interest and transfer entries'},
        ),
        migrations.RunSQL(CONTRIBUTION_COPIES_DELETE, CONTRIBUTION_COPIES_RESTORE),
        migrations.RemoveConstraint(
            model_name='accountentry',
            name='contribution_entry_has_contribution',
        ),
        migrations.RemoveField(
            model_name='accountentry',
            name='contribution',
        ),
        migrations.AlterField(
            model_name='contributionrecord',
            name='employer',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.employer'),
        ),
        migrations.AlterField(
            model_name='contributionrecord',
            name='person',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='contributions', to='insurance.insuredperson'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'contribution'), _negated=True), name='account_entry_not_contribution'),
        ),
        migrations.RunSQL(LEDGER_VIEW, "DROP VIEW insurance_ledger"),
        migrations.RunSQL(GUARDS, GUARDS_REMOVE),
    ]
