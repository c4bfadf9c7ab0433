"""Personal accounts of both schemes that have one (employee pension and employee medical), entries that
name their cause (an interest run, a transfer, a correction), corrections proposed and approved by two
people, interest credited up to a month, and ledger ids that name their source.

Reversible while no correction was approved and no medical-account entry written: the earlier schema has
no place for either.
"""

import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.math
import django.db.models.lookups
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# The interest credited before interest runs were recorded (yearly, at period YYYY12) gets one run per
# province and year, so that every interest entry names its run; the entries are linked to it with the
# append-only trigger lifted for that one statement. Every earlier entry was of the pension account.
# Going back, the columns and the runs go.
INTEREST_RUNS_BACKFILL = """
INSERT INTO insurance_interestrun
       (province_id, scheme, year, up_to_period, channel, reference, ran_at, entries, total)
SELECT province_id, 'EP', period / 100, period, 'periodic', 'yearly interest, before runs', MIN(created_at),
       COUNT(*), SUM(amount)
  FROM insurance_accountentry WHERE kind = 'interest' GROUP BY province_id, period;
-- Checked now: a deferred foreign-key check would keep the table from being altered below.
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE insurance_accountentry DISABLE TRIGGER insurance_accountentry_append_only;
UPDATE insurance_accountentry entry SET interest_run_id = run.id
  FROM insurance_interestrun run
 WHERE entry.kind = 'interest' AND run.province_id = entry.province_id AND run.up_to_period = entry.period;
ALTER TABLE insurance_accountentry ENABLE TRIGGER insurance_accountentry_append_only;
SET CONSTRAINTS ALL DEFERRED;
"""

# The ledger of both schemes with a personal account, with what caused each entry, and ids that name
# their source: a letter per source table and the source row's id. `source` and `source_id` let a lookup
# by id reach the source's primary key (LedgerEntry.objects.with_id).
LEDGER_VIEW = """
DROP VIEW insurance_ledger;
CREATE VIEW insurance_ledger AS
SELECT 'c' || id AS id, 'c'::varchar(1) AS source, id AS source_id, person_id, province_id, scheme,
       'contribution'::varchar(16) AS kind, account_credit AS amount, period, id AS contribution_id,
       NULL::bigint AS interest_run_id, NULL::bigint AS transfer_id, NULL::bigint AS correction_id,
       created_at
  FROM insurance_contributionrecord
 WHERE scheme IN ('EP', 'EM') AND account_credit > 0
UNION ALL
SELECT 'a' || id, 'a'::varchar(1), id, person_id, province_id, scheme, kind, amount, period, NULL::bigint,
       interest_run_id, transfer_id, correction_id, created_at
  FROM insurance_accountentry;
"""
# Migration 0008's view.
LEDGER_VIEW_BEFORE = """
DROP VIEW insurance_ledger;
CREATE VIEW insurance_ledger AS
SELECT 2 * id AS id, person_id, province_id, 'contribution'::varchar(16) AS kind,
       account_credit AS amount, period, id AS contribution_id, created_at
  FROM insurance_contributionrecord
 WHERE scheme = 'EP' AND account_credit > 0
UNION ALL
SELECT 2 * id + 1, person_id, province_id, kind, amount, period, NULL::bigint, created_at
  FROM insurance_accountentry;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_state_events'),
        ('insurance', '0012_enrolment_employer_and_reenrolment'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccountCorrection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheme', models.CharField(choices=[('EP', 'Enterprise-employee basic pension'), ('RP', 'Urban-rural resident basic pension'), ('EM', 'Employee basic medical'), ('RM', 'Resident basic medical'), ('UI', 'Unemployment'), ('WI', 'Work injury')], max_length=2)),
                ('amount', models.DecimalField(decimal_places=2, help_text='Signed: a negative correction takes money out.', max_digits=14)),
                ('period', models.PositiveIntegerField(help_text='The month (YYYYMM) the entry belongs to.')),
                ('reason', models.TextField()),
                ('status', models.CharField(choices=[('proposed', 'Proposed'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='proposed', max_length=16)),
                ('proposed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='InterestRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheme', models.CharField(choices=[('EP', 'Enterprise-employee basic pension'), ('RP', 'Urban-rural resident basic pension'), ('EM', 'Employee basic medical'), ('RM', 'Resident basic medical'), ('UI', 'Unemployment'), ('WI', 'Work injury')], max_length=2)),
                ('year', models.PositiveSmallIntegerField()),
                ('up_to_period', models.PositiveIntegerField(help_text='Interest is credited up to this month (YYYYMM).')),
                ('channel', models.CharField(choices=[('api', 'API'), ('import', 'Import job'), ('periodic', 'Periodic job'), ('admin', 'Admin')], max_length=16)),
                ('reference', models.CharField(blank=True, help_text='E.g. the transfer that asked.', max_length=64)),
                ('ran_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('entries', models.PositiveIntegerField(default=0, help_text='How many interest entries it credited.')),
                ('total', models.DecimalField(decimal_places=2, default=0, help_text='What it credited in all.', max_digits=14)),
            ],
            options={
                'ordering': ['-ran_at'],
            },
        ),
        migrations.AlterModelOptions(
            name='accountentry',
            options={'verbose_name': 'interest, transfer or correction entry', 'verbose_name_plural': 'interest, transfer and correction entries'},
        ),
        migrations.RemoveConstraint(
            model_name='accountentry',
            name='entry_sign_matches_kind',
        ),
        migrations.RemoveConstraint(
            model_name='accountentry',
            name='one_interest_entry_per_year',
        ),
        migrations.AddField(
            model_name='accountentry',
            name='scheme',
            field=models.CharField(choices=[('EP', 'Enterprise-employee basic pension'), ('RP', 'Urban-rural resident basic pension'), ('EM', 'Employee basic medical'), ('RM', 'Resident basic medical'), ('UI', 'Unemployment'), ('WI', 'Work injury')], default='EP', max_length=2),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='accountentry',
            name='transfer_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='accountentry',
            name='kind',
            field=models.CharField(choices=[('contribution', 'Contribution credit'), ('interest', 'Interest'), ('transfer_in', 'Transfer in'), ('transfer_out', 'Transfer out'), ('correction', 'Correction')], max_length=16),
        ),
        migrations.AddField(
            model_name='accountcorrection',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='accountcorrection',
            name='person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_corrections', to='insurance.insuredperson'),
        ),
        migrations.AddField(
            model_name='accountcorrection',
            name='proposed_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='accountcorrection',
            name='province',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region'),
        ),
        migrations.AddField(
            model_name='accountentry',
            name='correction',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.accountcorrection'),
        ),
        migrations.AddField(
            model_name='interestrun',
            name='province',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region'),
        ),
        migrations.AddField(
            model_name='interestrun',
            name='run_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='accountentry',
            name='interest_run',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='credited', to='insurance.interestrun'),
        ),
        migrations.RunSQL(INTEREST_RUNS_BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(('scheme__in', ('EP', 'EM'))), name='account_entry_scheme_has_account'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'transfer_out'), ('amount__lte', 0)), models.Q(('kind', 'correction'), models.Q(('amount', 0), _negated=True)), models.Q(('kind__in', ['interest', 'transfer_in']), ('amount__gte', 0)), _connector='OR'), name='entry_sign_matches_kind'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('interest_run__isnull', False), ('kind__in', ('interest',))), models.Q(models.Q(('kind__in', ('interest',)), _negated=True), ('interest_run__isnull', True)), _connector='OR'), name='interest_entry_has_run'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind__in', ('transfer_in', 'transfer_out')), ('transfer_id__isnull', False)), models.Q(models.Q(('kind__in', ('transfer_in', 'transfer_out')), _negated=True), ('transfer_id__isnull', True)), _connector='OR'), name='transfer_entry_has_transfer'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('correction__isnull', False), ('kind__in', ('correction',))), models.Q(models.Q(('kind__in', ('correction',)), _negated=True), ('correction__isnull', True)), _connector='OR'), name='correction_entry_has_correction'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'interest')), fields=('person', 'province', 'scheme', 'period'), name='one_interest_entry_per_period'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.UniqueConstraint(condition=models.Q(('correction__isnull', False)), fields=('person', 'correction'), name='one_entry_per_correction'),
        ),
        migrations.AddConstraint(
            model_name='accountcorrection',
            constraint=models.CheckConstraint(condition=models.Q(('amount', 0), _negated=True), name='correction_not_zero'),
        ),
        migrations.AddConstraint(
            model_name='accountcorrection',
            constraint=models.CheckConstraint(condition=models.Q(('period__gte', 190001), ('period__lte', 209912), django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.math.Mod(models.F('period'), 100), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.math.Mod(models.F('period'), 100), 12)), name='correction_period_valid'),
        ),
        migrations.AddConstraint(
            model_name='accountcorrection',
            constraint=models.CheckConstraint(condition=models.Q(('scheme__in', ('EP', 'EM'))), name='correction_scheme_has_account'),
        ),
        migrations.AddConstraint(
            model_name='accountcorrection',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('decided_by__isnull', True), ('status', 'proposed')), models.Q(models.Q(('status', 'proposed'), _negated=True), ('decided_at__isnull', False), ('decided_by__isnull', False)), _connector='OR'), name='correction_decided_once'),
        ),
        migrations.AddConstraint(
            model_name='accountcorrection',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'approved'), _negated=True), models.Q(('decided_by', models.F('proposed_by')), _negated=True), _connector='OR'), name='correction_approved_by_second_person'),
        ),
        migrations.AddConstraint(
            model_name='interestrun',
            constraint=models.CheckConstraint(condition=models.Q(('up_to_period__gte', 190001), ('up_to_period__lte', 209912), django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.math.Mod(models.F('up_to_period'), 100), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.math.Mod(models.F('up_to_period'), 100), 12)), name='interest_run_period_valid'),
        ),
        migrations.AddConstraint(
            model_name='interestrun',
            constraint=models.CheckConstraint(condition=models.Q(('up_to_period__gte', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('year'), '*', models.Value(100)), '+', models.Value(1))), ('up_to_period__lte', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('year'), '*', models.Value(100)), '+', models.Value(12)))), name='interest_run_period_in_year'),
        ),
        migrations.RunSQL(LEDGER_VIEW, LEDGER_VIEW_BEFORE),
    ]
