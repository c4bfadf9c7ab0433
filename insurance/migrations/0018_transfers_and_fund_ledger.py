"""Transfers (insurance.models.transfers), each province's pooled-fund ledger (a view over the pooled part
of the contribution records and the transfers' fund entries, which are append-only), the refund entry of
the personal-account ledger, and the periodic jobs: overdue steps, reconciliation, offered transfers."""

import django.db.models.deletion
import django.db.models.functions.math
import django.db.models.lookups
from django.db import migrations, models

from core.beat import schedule_every

# The pooled part of a contribution: what is paid and not credited to the personal account (the employer's
# 16 %, or 12 % of a flexible worker's 20 %). Read from the records, so an import writes nothing more.
FUND_LEDGER = """
CREATE VIEW insurance_fund_ledger AS
SELECT 'c' || id AS id, person_id, province_id, scheme, 'contribution'::varchar(16) AS kind,
       employer_amount + individual_amount - account_credit AS amount, period,
       NULL::bigint AS transfer_id, created_at
  FROM insurance_contributionrecord
 WHERE scheme = 'EP'
UNION ALL
SELECT 'f' || id, person_id, province_id, scheme, kind, amount, period, transfer_id, created_at
  FROM insurance_fundentry;

CREATE TRIGGER insurance_fundentry_append_only
    BEFORE UPDATE OR DELETE ON insurance_fundentry
    FOR EACH ROW EXECUTE FUNCTION insurance_append_only();
"""
FUND_LEDGER_DROP = """
DROP TRIGGER insurance_fundentry_append_only ON insurance_fundentry;
DROP VIEW insurance_fund_ledger;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_state_events'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
        ('insurance', '0017_certificates_signed_and_listed'),
    ]

    operations = [
        migrations.CreateModel(
            name='FundLedgerEntry',
            fields=[
                ('id', models.CharField(max_length=24, primary_key=True, serialize=False)),
                ('scheme', models.CharField(choices=[('EP', 'Enterprise-employee basic pension'), ('RP', 'Urban-rural resident basic pension'), ('EM', 'Employee basic medical'), ('RM', 'Resident basic medical'), ('UI', 'Unemployment'), ('WI', 'Work injury')], max_length=2)),
                ('kind', models.CharField(choices=[('contribution', 'Pooled contribution'), ('transfer_in', 'Transfer in'), ('transfer_out', 'Transfer out')], max_length=16)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('period', models.PositiveIntegerField()),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'pooled-fund ledger entry',
                'verbose_name_plural': 'pooled-fund ledger',
                'db_table': 'insurance_fund_ledger',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='FundEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheme', models.CharField(choices=[('EP', 'Enterprise-employee basic pension'), ('RP', 'Urban-rural resident basic pension'), ('EM', 'Employee basic medical'), ('RM', 'Resident basic medical'), ('UI', 'Unemployment'), ('WI', 'Work injury')], max_length=2)),
                ('kind', models.CharField(choices=[('contribution', 'Pooled contribution'), ('transfer_in', 'Transfer in'), ('transfer_out', 'Transfer out')], max_length=16)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('period', models.PositiveIntegerField(help_text='The month (YYYYMM) the entry belongs to.')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name_plural': 'fund entries',
            },
        ),
        migrations.CreateModel(
            name='ReconciliationAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('imbalance', models.DecimalField(decimal_places=2, help_text='What the legs sum to (zero when balanced).', max_digits=14)),
                ('detail', models.TextField()),
                ('found_at', models.DateTimeField()),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='Transfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheme', models.CharField(choices=[('EP', 'Enterprise-employee basic pension'), ('RP', 'Urban-rural resident basic pension'), ('EM', 'Employee basic medical'), ('RM', 'Resident basic medical'), ('UI', 'Unemployment'), ('WI', 'Work injury')], max_length=2)),
                ('status', models.CharField(choices=[('offered', "Offered, awaiting the person's confirmation"), ('declined', 'Declined by the person'), ('applied', 'Applied for at the transfer-in province'), ('withdrawn', 'Withdrawn by the applicant'), ('rejected', 'Rejected by the transfer-in province'), ('accepted', 'Contact letter sent to the transfer-out province'), ('funds_sent', 'Certificate and information table issued, funds sent'), ('completed', 'History and funds recorded at the transfer-in province')], max_length=16)),
                ('rejection_reason', models.TextField(blank=True)),
                ('due_date', models.DateField(blank=True, help_text='The deadline of the current step.', null=True)),
                ('due_provisional', models.BooleanField(default=False, help_text='The deadline counted days of a year whose schedule is not entered yet.')),
                ('step_started_on', models.DateField(help_text='The day the current step began.')),
                ('overdue_since', models.DateField(blank=True, help_text='Set by the overdue job.', null=True)),
                ('interest_up_to_period', models.PositiveIntegerField(blank=True, null=True)),
                ('account_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('pooled_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('refund_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('statement', models.JSONField(blank=True, help_text='The information table (信息表).', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name='TransferEscalation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('step', models.CharField(choices=[('offered', "Offered, awaiting the person's confirmation"), ('declined', 'Declined by the person'), ('applied', 'Applied for at the transfer-in province'), ('withdrawn', 'Withdrawn by the applicant'), ('rejected', 'Rejected by the transfer-in province'), ('accepted', 'Contact letter sent to the transfer-out province'), ('funds_sent', 'Certificate and information table issued, funds sent'), ('completed', 'History and funds recorded at the transfer-in province')], max_length=16)),
                ('due_date', models.DateField()),
                ('escalated_at', models.DateTimeField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='accountentry',
            name='entry_sign_matches_kind',
        ),
        migrations.RemoveConstraint(
            model_name='accountentry',
            name='transfer_entry_has_transfer',
        ),
        migrations.AlterField(
            model_name='accountentry',
            name='kind',
            field=models.CharField(choices=[('contribution', 'Contribution credit'), ('interest', 'Interest'), ('transfer_in', 'Transfer in'), ('transfer_out', 'Transfer out'), ('refund', 'Refund of a duplicate month'), ('correction', 'Correction')], max_length=16),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind__in', ['transfer_out', 'refund']), ('amount__lte', 0)), models.Q(('kind', 'correction'), models.Q(('amount', 0), _negated=True)), models.Q(('kind__in', ['interest', 'transfer_in']), ('amount__gte', 0)), _connector='OR'), name='entry_sign_matches_kind'),
        ),
        migrations.AddConstraint(
            model_name='accountentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind__in', ('transfer_in', 'transfer_out', 'refund')), ('transfer_id__isnull', False)), models.Q(models.Q(('kind__in', ('transfer_in', 'transfer_out', 'refund')), _negated=True), ('transfer_id__isnull', True)), _connector='OR'), name='transfer_entry_has_transfer'),
        ),
        migrations.AddField(
            model_name='fundentry',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.insuredperson'),
        ),
        migrations.AddField(
            model_name='fundentry',
            name='province',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region'),
        ),
        migrations.AddField(
            model_name='reconciliationalert',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.insuredperson'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='from_province',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='from_relationship',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.insurancerelationship'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.insuredperson'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='to_province',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='to_relationship',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.insurancerelationship'),
        ),
        migrations.AddField(
            model_name='reconciliationalert',
            name='transfer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.transfer'),
        ),
        migrations.AddField(
            model_name='fundentry',
            name='transfer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.transfer'),
        ),
        migrations.AddField(
            model_name='transferescalation',
            name='person',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurance.insuredperson'),
        ),
        migrations.AddField(
            model_name='transferescalation',
            name='province',
            field=models.ForeignKey(db_constraint=False, db_index=False, help_text='The province whose step is overdue.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region'),
        ),
        migrations.AddField(
            model_name='transferescalation',
            name='transfer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='escalations', to='insurance.transfer'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(fields=['person', 'scheme', '-created_at'], name='transfer_by_person'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(condition=models.Q(('status__in', ('offered', 'applied', 'accepted', 'funds_sent'))), fields=['to_province', 'status', 'due_date'], name='transfer_open_into_province'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(condition=models.Q(('status__in', ('offered', 'applied', 'accepted', 'funds_sent'))), fields=['from_province', 'status', 'due_date'], name='transfer_open_out_of_province'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('offered', 'applied', 'accepted', 'funds_sent'))), fields=('person', 'scheme'), name='one_open_transfer_per_person_scheme'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.CheckConstraint(condition=models.Q(('scheme__in', ('EP', 'EM'))), name='transfer_scheme_transferable'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.CheckConstraint(condition=models.Q(('from_province', models.F('to_province')), _negated=True), name='transfer_provinces_differ'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'rejected'), _negated=True), models.Q(('rejection_reason', ''), _negated=True), _connector='OR'), name='transfer_rejected_with_reason'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('account_amount__isnull', False), ('pooled_amount__isnull', False), ('refund_amount__isnull', False), ('statement__isnull', False), ('status__in', ['funds_sent', 'completed'])), models.Q(('status__in', ['funds_sent', 'completed']), _negated=True), _connector='OR'), name='transfer_money_once_sent'),
        ),
        migrations.AddConstraint(
            model_name='reconciliationalert',
            constraint=models.UniqueConstraint(condition=models.Q(('resolved_at__isnull', True)), fields=('person', 'transfer'), name='one_open_alert_per_transfer'),
        ),
        migrations.AddIndex(
            model_name='fundentry',
            index=models.Index(fields=['province', 'scheme'], name='fund_entry_by_province'),
        ),
        migrations.AddConstraint(
            model_name='fundentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'transfer_out'), ('amount__lte', 0)), models.Q(('kind', 'transfer_in'), ('amount__gte', 0)), _connector='OR'), name='fund_entry_is_a_transfer'),
        ),
        migrations.AddConstraint(
            model_name='fundentry',
            constraint=models.CheckConstraint(condition=models.Q(('period__gte', 190001), ('period__lte', 209912), django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.math.Mod(models.F('period'), 100), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.math.Mod(models.F('period'), 100), 12)), name='fund_entry_period_valid'),
        ),
        migrations.AddConstraint(
            model_name='fundentry',
            constraint=models.UniqueConstraint(fields=('person', 'transfer', 'kind'), name='one_fund_leg_per_transfer'),
        ),
        migrations.AddConstraint(
            model_name='transferescalation',
            constraint=models.UniqueConstraint(fields=('person', 'transfer', 'step'), name='one_escalation_per_transfer_step'),
        ),
        migrations.RunSQL(FUND_LEDGER, FUND_LEDGER_DROP),
        schedule_every(
            name="insurance: flag overdue transfer steps",
            task="insurance.transfers_flag_overdue",
            every=1,
            period="hours",
        ),
        schedule_every(
            name="insurance: reconcile transfers",
            task="insurance.transfers_reconcile",
            every=1,
            period="hours",
        ),
        schedule_every(
            name="insurance: offer transfers",
            task="insurance.transfers_offer",
            every=1,
            period="days",
        ),
    ]
