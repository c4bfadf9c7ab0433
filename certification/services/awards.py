"""Pensions in payment (DOMAIN.md §4, §6): an award made on retirement, the yearly adjustment that gives
every month its own amount, the monthly payment run into the card's bank account, and the stop on death
with the overpayment to recover."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import CardAccountEntryKind
from cards.services.uses import Credit, card_accounts_credit
from certification.models import (
    AwardAmount,
    AwardStatus,
    MonthOutcome,
    PensionAdjustment,
    PensionAward,
    SuspensionReason,
)
from certification.services.survivors import AwardStoppedByDeath, survivors_claims_open
from certification.states import AWARD_STATES
from core.batch import Refusal
from core.exceptions import ApplicationError, ConflictError
from core.money import money, money_sql
from core.sql import AnyOf
from core.states import Actor
from insurance.hooks import DeathRecorded
from insurance.models import InsuredPerson, PersonStatus, Scheme
from insurance.periods import period_add_months, period_of
from insurance.services.estimates import pension_estimate_for
from insurance.services.temporary_accounts import temporary_accounts_gather_at_retirement
from insurance.states import PERSON_STATES


@transaction.atomic
def award_retire(
    *, person: InsuredPerson, female_category: str | None, actor: Actor, today: datetime.date | None = None
) -> PensionAward:
    """Award the enterprise-employee pension to a person reaching retirement: the benefit province pays
    (and receives the person's temporary accounts, sealed and gathered), the retirement age is the 2025
    reform's, and the amount is the pension calculator's with the average wage that applies in the year
    of retirement. The first month is the one after the retirement month (or the current month, for a
    late claim). Every input is recorded on the award. Refused before the
    retirement month, when short of the minimum contribution years (with the months missing), and for a
    person already awarded or no longer active."""
    today = today or timezone.localdate()
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    if PensionAward.objects.filter(person=person, scheme=Scheme.EMPLOYEE_PENSION).exists():
        raise ConflictError("award_exists", _("This person already has a pension award."))
    if person.status != PersonStatus.ACTIVE:
        raise ConflictError(
            "award_person_not_active", _("Only a living person who has not retired can retire.")
        )
    # Retirement seals the temporary accounts and gathers them to the benefit province before the award
    # reads the account (their interest to date included). A refusal below undoes it with the award.
    temporary_accounts_gather_at_retirement(person=person, actor=actor, today=today)
    computed = pension_estimate_for(person=person, female_category=female_category)
    retirement, estimate = computed.retirement, computed.estimate
    if retirement.retirement_month > period_of(today):
        raise ConflictError(
            "award_before_retirement_age",
            _("The person reaches retirement age in %(month)s.") % {"month": retirement.retirement_month},
            fields={"retirement_month": [str(retirement.retirement_month)]},
        )
    if not estimate.eligible:
        missing = estimate.minimum_contribution_months - estimate.contribution_years.total_months
        raise ConflictError(
            "award_contribution_years_short",
            _("%(months)s months of contributions are missing for a monthly pension.") % {"months": missing},
            fields={"missing_months": [str(missing)], "missing_years": [str(money(Decimal(missing) / 12))]},
        )
    first_month = max(period_add_months(retirement.retirement_month, 1), period_of(today))
    inputs = {
        "benefit_province": computed.benefit_province,
        "birth_month": retirement.birth_month,
        "retirement_age_years": retirement.retirement_age_years,
        "retirement_age_months": retirement.retirement_age_months,
        "retirement_month": retirement.retirement_month,
        "province_average_wage": str(computed.province_average_wage),
        "personal_account_balance": str(computed.personal_account_balance),
        "contribution_months": estimate.contribution_years.total_months,
        "minimum_contribution_months": estimate.minimum_contribution_months,
        "average_contribution_index": str(estimate.average_contribution_index),
        "indexed_average_wage": str(estimate.indexed_average_wage),
        "pooled_part": str(estimate.pooled_part),
        "divisor_months": estimate.divisor_months,
        "personal_account_part": str(estimate.personal_account_part),
        "steps": [
            {"code": step.code, "params": dict(step.params), "message": step.message}
            for step in (*retirement.steps, *estimate.steps)
        ],
    }
    award = award_create(
        person_id=person.pk,
        province_id=computed.benefit_province,
        scheme=Scheme.EMPLOYEE_PENSION,
        monthly_amount=estimate.total,
        first_month=first_month,
        certified_on=today,
        inputs=inputs,
        actor=actor,
    )
    PERSON_STATES.move(person.pk, to=PersonStatus.RETIRED, actor=actor, reason="Pension awarded")
    return award


def award_create(
    *,
    person_id: int,
    province_id: str,
    scheme: str,
    monthly_amount: Decimal,
    first_month: int,
    certified_on: datetime.date,
    inputs: dict,
    actor: Actor,
) -> PensionAward:
    """Write an award with its first monthly amount and its first event (retirement, or an award in
    payment brought in by an import)."""
    try:
        with transaction.atomic():
            award = PensionAward.objects.create(
                person_id=person_id,
                province_id=province_id,
                scheme=scheme,
                monthly_amount=money(monthly_amount),
                first_month=first_month,
                last_certified_on=certified_on,
                inputs=inputs,
            )
    except IntegrityError:
        raise ConflictError("award_exists", _("This person already has a pension award.")) from None
    AwardAmount.objects.create(
        person_id=person_id, award=award, from_month=first_month, amount=award.monthly_amount
    )
    AWARD_STATES.record_created([(award.pk, award.status, person_id)], actor=actor, reason="Pension awarded")
    return award


@transaction.atomic
def pension_adjustment_apply(
    *, province_id: str, scheme: str, from_month: int, rate: Decimal, fixed_amount: Decimal
) -> PensionAdjustment:
    """Apply a province's yearly increase from `from_month` to every award it pays in `scheme` that has
    not stopped and began before that month: the new amount is the amount in force that month × (1 +
    rate) + the fixed amount, rounded once to the fen, in one statement. Refused when the province already
    applied an adjustment from that month or a later one (adjustments apply in order), or when it raises
    nothing."""
    rate, fixed_amount = Decimal(rate), money(Decimal(fixed_amount))
    if rate < 0 or fixed_amount < 0 or (rate == 0 and fixed_amount == 0):
        raise ApplicationError(
            "adjustment_invalid", _("An adjustment is a positive rate and/or a positive fixed amount.")
        )
    if PensionAdjustment.objects.filter(
        province_id=province_id, scheme=scheme, from_month__gte=from_month
    ).exists():
        raise ConflictError(
            "adjustment_out_of_order",
            _("The province already applied an adjustment from this month or a later one."),
        )
    adjustment = PensionAdjustment.objects.create(
        province_id=province_id, scheme=scheme, from_month=from_month, rate=rate, fixed_amount=fixed_amount
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO certification_awardamount (person_id, award_id, from_month, amount, adjustment_id)
                SELECT DISTINCT ON (a.id) a.person_id, a.id, %(month)s,
                       {money_sql("amount.amount * (1 + %(rate)s) + %(fixed)s")}, %(adjustment)s
                  FROM certification_pensionaward a
                  JOIN certification_awardamount amount ON amount.award_id = a.id
                 WHERE a.province_id = %(province)s AND a.scheme = %(scheme)s AND a.status <> %(stopped)s
                   AND a.first_month < %(month)s AND amount.from_month <= %(month)s
                 ORDER BY a.id, amount.from_month DESC""",  # noqa: S608 - money_sql is SQL of ours
            {
                "month": from_month,
                "rate": rate,
                "fixed": fixed_amount,
                "adjustment": adjustment.pk,
                "province": province_id,
                "scheme": scheme,
                "stopped": AwardStatus.STOPPED,
            },
        )
        adjustment.awards_adjusted = cursor.rowcount
    adjustment.save(update_fields=["awards_adjusted"])
    return adjustment


# The amount of award `a` in the month %(month)s: its latest amount row from that month or before. A
# fragment of the set-based statements that price months.
AMOUNT_OF_MONTH = """(SELECT amount.amount FROM certification_awardamount amount
                       WHERE amount.award_id = a.id AND amount.from_month <= %(month)s
                       ORDER BY amount.from_month DESC LIMIT 1)"""


def award_amount_of_month(*, award: PensionAward, month: int) -> Decimal:
    amount = (
        AwardAmount.objects.filter(award=award, from_month__lte=month)
        .order_by("-from_month")
        .values_list("amount", flat=True)
        .first()
    )
    if amount is None:
        raise ApplicationError("award_month_before_first", _("The award is not paid before its first month."))
    return amount


@dataclass(frozen=True, slots=True)
class PaymentRun:
    month: int
    paid: int
    withheld: int
    refused: int  # no valid card with an activated bank account: tried again by the next run


def _month_reference(award_id: int, month: int) -> str:
    return f"pension:{award_id}:{month}"


def awards_pay_month(*, month: int, chunk: int = 5000) -> PaymentRun:
    """The monthly payment run: every paying award due that month is paid its amount of that month into
    the card's bank account, and every suspended one has the month recorded as withheld. Idempotent: a
    month already paid or withheld is left alone, and the card ledger's reference per award and month
    pays nothing twice, so two runs at once pay once. An award whose card cannot take the payment is left
    unpaid, for the next run. Each chunk commits on its own: a run stopped half-way is finished by the
    next one.

    An award whose certification was overdue when the month began is suspended first, so the month is
    withheld, not paid, even if the daily suspension has not run yet."""
    # Imported here: the certification services build on this module's back pay.
    from certification.services.certifications import awards_suspend_overdue

    awards_suspend_overdue(today=datetime.date(month // 100, month % 100, 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO certification_awardmonth (person_id, award_id, month, amount, outcome, back_paid)
                SELECT a.person_id, a.id, %(month)s, {AMOUNT_OF_MONTH},
                       CASE WHEN a.suspension_reason = %(imprisonment)s THEN %(forfeited)s
                            ELSE %(withheld)s END,
                       FALSE
                  FROM certification_pensionaward a
                 WHERE a.status = %(suspended)s AND a.first_month <= %(month)s
                ON CONFLICT DO NOTHING""",  # noqa: S608 - a fragment of ours
            {
                "month": month,
                "withheld": MonthOutcome.WITHHELD,
                "forfeited": MonthOutcome.FORFEITED,
                "imprisonment": SuspensionReason.IMPRISONMENT,
                "suspended": AwardStatus.SUSPENDED,
            },
        )
        withheld = cursor.rowcount
        cursor.execute(
            f"""SELECT a.id, a.person_id, %(month)s, {AMOUNT_OF_MONTH}
                  FROM certification_pensionaward a
                 WHERE a.status = %(paying)s AND a.first_month <= %(month)s
                   AND NOT EXISTS (SELECT 1 FROM certification_awardmonth m
                                    WHERE m.person_id = a.person_id AND m.award_id = a.id
                                      AND m.month = %(month)s)
                 ORDER BY a.id""",  # noqa: S608 - a fragment of ours
            {"month": month, "paying": AwardStatus.PAYING},
        )
        due = cursor.fetchall()
    paid = refused = 0
    for start in range(0, len(due), chunk):
        part = due[start : start + chunk]
        with transaction.atomic():
            credited = _months_credit(part, back_paid=False)
        paid += credited
        refused += len(part) - credited
    # Back pay that a card could not take when the award resumed is paid by the next run.
    with transaction.atomic():
        awards_back_pay(award_ids=None)
    return PaymentRun(month=month, paid=paid, withheld=withheld, refused=refused)


def awards_back_pay(*, award_ids: Sequence[int] | None) -> int:
    """Pay every withheld month of paying awards (of `award_ids`, or all), each at that month's amount
    as the adjustments now give it, into the card, marked back-paid. Returns how many months were paid;
    a month whose card cannot take it stays withheld for the next run."""
    if award_ids is not None and not award_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT a.id, a.person_id, m.month, {AMOUNT_OF_MONTH.replace("%(month)s", "m.month")}
                  FROM certification_awardmonth m
                  JOIN certification_pensionaward a ON a.id = m.award_id
                 WHERE m.outcome = %(withheld)s AND a.status = %(paying)s
                   AND (%(all)s OR a.id = ANY(%(ids)s))
                 ORDER BY a.id, m.month""",  # noqa: S608 - a fragment of ours
            {
                "withheld": MonthOutcome.WITHHELD,
                "paying": AwardStatus.PAYING,
                "all": award_ids is None,
                "ids": list(award_ids or []),
            },
        )
        rows = cursor.fetchall()
    return _months_credit(rows, back_paid=True) if rows else 0


def _months_credit(rows: Sequence[tuple[int, int, int, Decimal]], *, back_paid: bool) -> int:
    """Credit each (award, person, month, amount) into the person's card, and record the month paid (a
    withheld month becomes back-paid). Returns how many were credited."""
    credits = [
        Credit(
            person_id=person_id,
            kind=CardAccountEntryKind.PENSION,
            amount=amount,
            reference=_month_reference(award_id, month),
            description=(_("Pension back pay %(month)s") if back_paid else _("Pension %(month)s"))
            % {"month": month},
        )
        for award_id, person_id, month, amount in rows
    ]
    credited, _refusals = card_accounts_credit(credits=credits)
    if not credited:
        return 0
    now = timezone.now()
    chosen = [rows[index] for index in credited]
    award_ids, person_ids, months, amounts = (list(column) for column in zip(*chosen, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO certification_awardmonth
                      (person_id, award_id, month, amount, outcome, back_paid, paid_at)
               SELECT m.person_id, m.award_id, m.month, m.amount, %s, %s, %s
                 FROM UNNEST(%s::bigint[], %s::bigint[], %s::integer[], %s::numeric[])
                      AS m(award_id, person_id, month, amount)
               ON CONFLICT (person_id, award_id, month)
               DO UPDATE SET outcome = EXCLUDED.outcome, back_paid = EXCLUDED.back_paid,
                             amount = EXCLUDED.amount, paid_at = EXCLUDED.paid_at
                       WHERE certification_awardmonth.outcome = 'withheld'""",
            [MonthOutcome.PAID, back_paid, now, award_ids, person_ids, months, amounts],
        )
    return len(credited)


def awards_stop_on_death(deaths: Sequence[DeathRecorded], actor: Actor) -> None:
    """insurance.hooks.DEATH_HOOKS: a pension is due up to and including the month of death. Each award
    of the dead stops from the month after; months paid after it are an overpayment, for which a recovery
    case opens; months withheld up to and including it become payable to the estate (paid with the
    survivors' claim, which records their sum), and withheld months after it are nothing; and the
    survivors' claim of the award opens. A few statements for the whole
    chunk, from the API or an import alike."""
    dates_of_death = {death.person_id: death.date_of_death for death in deaths}
    death_months = {person_id: period_of(day) for person_id, day in dates_of_death.items()}
    awards = list(
        PensionAward.objects.filter(AnyOf(F("person_id"), list(death_months)))
        .exclude(status=AwardStatus.STOPPED)
        .values_list("pk", "person_id")
    )
    if not awards:
        return
    pks = [pk for pk, _person in awards]
    stops = [period_add_months(death_months[person_id], 1) for _pk, person_id in awards]
    AWARD_STATES.move_many(
        pks,
        to=AwardStatus.STOPPED,
        actor=actor,
        reason="Death of the pensioner",
        values={"stopped_from_month": stops, "stop_reason": ["death"] * len(pks)},
    )
    with connection.cursor() as cursor:
        params = [pks, [person for _pk, person in awards], stops]
        stopped = (
            """UNNEST(%s::bigint[], %s::bigint[], %s::integer[]) AS s(award_id, person_id, from_month)"""
        )
        # Withheld months: up to the death to the estate; after it, never due.
        cursor.execute(
            f"""UPDATE certification_awardmonth m
                   SET outcome = CASE WHEN m.month < s.from_month THEN 'estate' ELSE 'forfeited' END
                  FROM {stopped}
                 WHERE m.person_id = s.person_id AND m.award_id = s.award_id AND m.outcome = 'withheld'""",  # noqa: S608
            params,
        )
        cursor.execute(
            f"""INSERT INTO certification_recoverycase
                      (person_id, award_id, province_id, overpaid, months, recovered,
                       recovered_from_claim, status, write_off_reason, created_at)
                SELECT s.person_id, s.award_id, a.province_id, SUM(m.amount),
                       jsonb_agg(m.month ORDER BY m.month), 0, 0, 'open', '', NOW()
                  FROM {stopped}
                  JOIN certification_pensionaward a ON a.id = s.award_id
                  JOIN certification_awardmonth m
                    ON m.person_id = s.person_id AND m.award_id = s.award_id
                   AND m.month >= s.from_month AND m.outcome = 'paid'
                 GROUP BY s.person_id, s.award_id, a.province_id""",  # noqa: S608
            params,
        )
    survivors_claims_open(
        stopped=[AwardStoppedByDeath(pk, person_id, dates_of_death[person_id]) for pk, person_id in awards],
        actor=actor,
    )


def pensioners_among(person_ids: Sequence[int]) -> set[int]:
    """insurance.hooks.PENSIONER_LOOKUPS: the people of `person_ids` with an award that has not stopped."""
    return set(
        PensionAward.objects.filter(person_id__in=person_ids)
        .exclude(status=AwardStatus.STOPPED)
        .values_list("person_id", flat=True)
    )


class AwardInPayment(NamedTuple):
    person_id: int
    scheme: str
    monthly_amount: Decimal
    first_month: int
    last_certified_on: datetime.date


_PENSION_SCHEMES = (Scheme.EMPLOYEE_PENSION, Scheme.RESIDENT_PENSION)


@transaction.atomic
def awards_import(
    *, province_id: str, items: Sequence[AwardInPayment], actor: Actor, dry_run: bool = False
) -> tuple[int, list[Refusal]]:
    """Bring pensions already in payment (the `awards` import kind) onto the platform, paid by
    `province_id`: each award with its amount from its first month and its first event, in a few
    statements per chunk. Refused: a scheme that is no pension, an amount that is not positive, a person
    already awarded in the scheme (here or by another row). Returns how many were brought in."""
    refusals: list[Refusal] = []
    held = set(
        PensionAward.objects.filter(person_id__in={item.person_id for item in items}).values_list(
            "person_id", "scheme"
        )
    )
    chosen: list[AwardInPayment] = []
    for index, item in enumerate(items):
        if item.scheme not in _PENSION_SCHEMES:
            refusals.append(
                Refusal(
                    index,
                    ApplicationError("award_scheme_invalid", _("Only pensions are paid as awards.")),
                    "scheme",
                )
            )
        elif item.monthly_amount <= 0:
            refusals.append(
                Refusal(
                    index,
                    ApplicationError("award_amount_invalid", _("A monthly amount is more than zero.")),
                    "monthly_amount",
                )
            )
        elif (item.person_id, item.scheme) in held:
            refusals.append(
                Refusal(
                    index,
                    ConflictError("award_exists", _("This person already has a pension award.")),
                    "id_number",
                )
            )
        else:
            held.add((item.person_id, item.scheme))
            chosen.append(item)
    if dry_run or not chosen:
        return len(chosen), refusals
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH created AS (
                   INSERT INTO certification_pensionaward
                          (person_id, province_id, scheme, monthly_amount, first_month, status,
                           last_certified_on, stop_reason, suspension_reason, inputs, created_at)
                   SELECT i.person_id, %s, i.scheme, i.amount, i.first_month, %s, i.certified, '', '',
                          '{"source": "awards import"}'::jsonb, NOW()
                     FROM UNNEST(%s::bigint[], %s::text[], %s::numeric[], %s::integer[], %s::date[])
                          AS i(person_id, scheme, amount, first_month, certified)
                   RETURNING id, person_id, monthly_amount, first_month)
               INSERT INTO certification_awardamount (person_id, award_id, from_month, amount)
               SELECT person_id, id, first_month, monthly_amount FROM created
               RETURNING award_id, person_id""",
            [
                province_id,
                AwardStatus.PAYING,
                *map(
                    list,
                    zip(
                        *[
                            (
                                i.person_id,
                                i.scheme,
                                money(i.monthly_amount),
                                i.first_month,
                                i.last_certified_on,
                            )
                            for i in chosen
                        ],
                        strict=True,
                    ),
                ),
            ],
        )
        created = cursor.fetchall()
    AWARD_STATES.record_created(
        [(award_id, AwardStatus.PAYING, person_id) for award_id, person_id in created],
        actor=actor,
        reason="Pension in payment imported",
    )
    return len(created), refusals
