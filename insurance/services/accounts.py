"""The personal accounts (DOMAIN.md §2-3): append-only ledgers, one per person, province and scheme, whose
balance is the sum of their entries. Interest is credited up to a month by one service, which the
year-end run and a transfer both call; a correction is proposed by one person and approved by another."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, ConflictError, ForbiddenError
from core.money import money, money_sql
from core.states import Actor
from insurance.models import (
    ACCOUNT_SCHEMES,
    AccountCorrection,
    AccountEntry,
    AccountEntryKind,
    CorrectionStatus,
    InsuranceRelationship,
    InsuredPerson,
    InterestRun,
    LedgerEntry,
    ProvinceYearConfig,
    Scheme,
    TransferStatus,
)
from insurance.periods import period_month, period_parse, period_year
from insurance.states import CORRECTION_STATES

# Interest is credited to the pension account (DOMAIN.md §2); the medical account earns none.
INTEREST_SCHEMES = (Scheme.EMPLOYEE_PENSION,)


def account_balance(*, person_id: int, province_id: str, scheme: str) -> Decimal:
    """The balance of one account: the sum of its ledger."""
    entries = LedgerEntry.objects.filter(person_id=person_id, province_id=province_id, scheme=scheme)
    return entries.aggregate(balance=Sum("amount"))["balance"] or Decimal("0.00")


def account_lock(*, person_id: int) -> None:
    """Every write that takes money out of a person's accounts takes this lock first (the person's row),
    so that two of them cannot both find the same balance and overdraw it together."""
    accounts_lock(person_ids=[person_id])


def accounts_lock(*, person_ids: Sequence[int]) -> None:
    """`account_lock` for many people at once (a chunk), in the order of their ids, so that two chunks
    cannot wait for each other."""
    people = InsuredPerson.objects.select_for_update().filter(pk__in=sorted(set(person_ids))).order_by("pk")
    list(people.values_list("pk"))


def interest_rates(*, year: int, province_id: str | None = None) -> dict[str, Decimal]:
    """The account interest rate of `year` per province (of `province_id` only, when given): the rate
    the province published for the year or, while it has not, the latest it published before."""
    configs = ProvinceYearConfig.objects.filter(year__lte=year, account_interest_rate__isnull=False)
    if province_id is not None:
        configs = configs.filter(province_id=province_id)
    latest = configs.order_by("province_id", "-year").distinct("province_id")
    # Never None: the configs without a rate are left out above.
    return cast("dict[str, Decimal]", dict(latest.values_list("province_id", "account_interest_rate")))


# The interest of the year of %(up_to)s, from January up to that month, of every account of the scheme
# held in the provinces of `rates` (and among the persons named, when they are): the opening balance earns
# the rate for `months` twelfths, each entry of the year for the months left after its own month, and what
# the year's earlier runs credited is subtracted. The year's interest entries are entries too: once
# credited, money earns interest on, so that a balance that moves out mid-year with its interest to date
# leaves nothing to earn in the old province. Rounded once per credit, by `money_sql`. Running it again for
# a month credits nothing more: the figure is what is still due, and the unique key on interest entries
# keeps a second entry for the same month out. An account whose balance is on its way to another province
# (a transfer whose funds are sent and not yet recorded there) earns nothing meanwhile: the transfer moves
# the balance of its information table, interest to the month of the move included.
# The interest still due, `due` (person, province, amount): read alone by `account_interest_due`, and
# written by `account_interest_credit`, one statement for every account with the run's totals.
_INTEREST_DUE = """
WITH rates AS (
    SELECT * FROM UNNEST(%(provinces)s::varchar[], %(rates)s::numeric[]) AS rates(province_id, rate)
), accounts AS (
    SELECT entry.person_id, entry.province_id, rates.rate,
           SUM(CASE WHEN entry.period < %(first)s THEN entry.amount * %(months)s
                    WHEN entry.period <= %(up_to)s THEN entry.amount * (%(up_to)s - entry.period)
                    ELSE 0 END) AS weighted,
           SUM(CASE WHEN entry.kind = %(interest)s AND entry.period >= %(first)s THEN entry.amount
                    ELSE 0 END) AS credited,
           SUM(entry.amount) AS balance
      FROM insurance_ledger entry
      JOIN rates ON rates.province_id = entry.province_id
     WHERE {conditions}
       AND NOT EXISTS (SELECT FROM insurance_transfer transfer
                        WHERE transfer.person_id = entry.person_id AND transfer.scheme = entry.scheme
                          AND transfer.from_province_id = entry.province_id
                          AND transfer.status = %(in_transit)s)
     GROUP BY entry.person_id, entry.province_id, rates.rate
), due AS (
    SELECT person_id, province_id, balance, {credit} AS amount FROM accounts
)"""
_CREDIT_INTEREST = (
    _INTEREST_DUE  # noqa: S608 - constant SQL, values are parameters
    + """, written AS (
    INSERT INTO insurance_accountentry
           (person_id, province_id, scheme, kind, amount, period, interest_run_id, created_at)
    SELECT person_id, province_id, %(scheme)s, %(interest)s, amount, %(up_to)s, %(run)s, NOW()
      FROM due WHERE amount > 0
        ON CONFLICT (person_id, province_id, scheme, period) WHERE kind = 'interest' DO NOTHING
    RETURNING amount
)
UPDATE insurance_interestrun
   SET entries = (SELECT COUNT(*) FROM written),
       total = (SELECT COALESCE(SUM(amount), 0) FROM written)
 WHERE id = %(run)s
RETURNING entries, total
"""
)
_CREDIT = money_sql("weighted * rate / 12 - credited")

# One run at a time per province and scheme: a transfer's run for one person and the year-end run of the
# province could otherwise both find the same interest still due and both credit it. Taken in order of
# province, so that two runs over several provinces cannot wait for each other.
_LOCK_PROVINCES = """
SELECT pg_advisory_xact_lock(hashtextextended('insurance.account_interest:' || province || ':' || %s, 0))
  FROM (SELECT province FROM UNNEST(%s::varchar[]) AS province ORDER BY province) AS provinces
"""


@transaction.atomic
def account_interest_credit(
    *,
    province_id: str | None,
    scheme: str,
    up_to_period: int,
    actor: Actor,
    person_ids: list[int] | None = None,
) -> InterestRun:
    """Credit the interest of the year of `up_to_period`, from January up to that month, that the accounts
    of `scheme` held in `province_id` (in every province with a rate, when None) have earned and not yet
    been credited; only to the persons of `person_ids`, when given. The year-end run is the same with
    `up_to_period` = YYYY12; a transfer calls it with the person and the month of the move, before the
    whole balance moves out. Returns the run, with how many entries it wrote and their total."""
    up_to_period = period_parse(up_to_period)
    if scheme not in INTEREST_SCHEMES:
        raise ApplicationError(
            "scheme_earns_no_interest",
            _("The %(scheme)s personal account is not credited interest.") % {"scheme": scheme},
        )
    year = period_year(up_to_period)
    rates = interest_rates(year=year, province_id=province_id)
    if province_id is not None and not rates:
        raise ApplicationError(
            "interest_rate_not_published",
            _("Province %(province_id)s has not published an account interest rate for %(year)s or before.")
            % {"province_id": province_id, "year": year},
        )
    provinces = sorted(rates)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_PROVINCES, [scheme, provinces])
    run = InterestRun.objects.create(
        province_id=province_id,
        scheme=scheme,
        year=year,
        up_to_period=up_to_period,
        run_by_id=actor.user_id,
        channel=actor.channel,
        reference=actor.reference,
    )
    sql, params = _interest_statement(
        _CREDIT_INTEREST, rates=rates, province_id=province_id, scheme=scheme, up_to_period=up_to_period,
        person_ids=person_ids,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "run": run.pk})
        run.entries, run.total = cursor.fetchone()
    return run


def _interest_statement(
    template: str,
    *,
    rates: dict[str, Decimal],
    province_id: str | None,
    scheme: str,
    up_to_period: int,
    person_ids: list[int] | None,
) -> tuple[str, dict]:
    """The SQL and parameters of `_INTEREST_DUE` (and what `template` adds to it) for these accounts."""
    provinces = sorted(rates)
    year = period_year(up_to_period)
    conditions = ["entry.scheme = %(scheme)s", "entry.period <= %(last)s"]
    if province_id is not None:
        conditions.append("entry.province_id = %(province)s")
    if person_ids is not None:
        conditions.append("entry.person_id = ANY(%(persons)s::bigint[])")
    params = {
        "provinces": provinces,
        "rates": [rates[province] for province in provinces],
        "province": province_id,
        "persons": person_ids,
        "scheme": scheme,
        "interest": AccountEntryKind.INTEREST.value,
        "in_transit": TransferStatus.FUNDS_SENT.value,
        "first": year * 100 + 1,
        "last": year * 100 + 12,
        "up_to": up_to_period,
        "months": period_month(up_to_period),
    }
    return template.format(conditions=" AND ".join(conditions), credit=_CREDIT), params


def account_balances_with_interest_due(
    *, province_id: str, scheme: str, up_to_period: int, person_ids: list[int]
) -> dict[int, tuple[Decimal, Decimal]]:
    """Each person's balance in the province and what `account_interest_credit` would credit to it now,
    up to `up_to_period`, without writing anything: for a transfer's figures computed ahead (and the
    benchmark). One read of the ledger; a scheme or province without interest owes none. Persons without
    an account there are left out."""
    rates = interest_rates(year=period_year(up_to_period), province_id=province_id)
    if scheme not in INTEREST_SCHEMES or not rates:
        balances = (
            LedgerEntry.objects.filter(person_id__in=person_ids, province_id=province_id, scheme=scheme)
            .values("person_id")
            .annotate(balance=Sum("amount"))
            .order_by()
            .values_list("person_id", "balance")
        )
        return {person_id: (balance, Decimal("0.00")) for person_id, balance in balances}
    sql, params = _interest_statement(
        _INTEREST_DUE + " SELECT person_id, balance, GREATEST(amount, 0) FROM due",  # noqa: S608 - constant SQL
        rates=rates, province_id=province_id, scheme=scheme, up_to_period=up_to_period,
        person_ids=person_ids,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {person_id: (balance, due) for person_id, balance, due in cursor.fetchall()}


def _user_of(actor: Actor) -> int:
    if actor.user_id is None:
        raise ApplicationError(
            "correction_needs_a_user", _("A correction is proposed and decided by people, signed in.")
        )
    return actor.user_id


def _balance_check(*, person_id: int, province_id: str, scheme: str, amount: Decimal) -> None:
    balance = account_balance(person_id=person_id, province_id=province_id, scheme=scheme)
    if balance + amount < 0:
        raise ConflictError(
            "correction_exceeds_balance",
            _("The account holds %(balance)s: a correction of %(amount)s would take it below zero.")
            % {"balance": balance, "amount": amount},
            fields={"amount": [_("At least %(balance)s.") % {"balance": -balance}]},
        )


@transaction.atomic
def account_correction_propose(
    *,
    person: InsuredPerson,
    scheme: str,
    province_id: str,
    amount: Decimal,
    period: int,
    reason: str,
    proposed_by: Actor,
) -> AccountCorrection:
    """Propose a signed correction of a person's account in a province, with its reason. Nothing reaches
    the ledger until another person approves it (`account_correction_approve`)."""
    proposer = _user_of(proposed_by)
    if scheme not in ACCOUNT_SCHEMES:
        raise ApplicationError(
            "scheme_has_no_account",
            _("The %(scheme)s scheme has no personal account.") % {"scheme": scheme},
            fields={"scheme": [scheme]},
        )
    period = period_parse(period)
    if amount == 0 or money(amount) != amount:
        raise ApplicationError(
            "correction_amount_invalid",
            _("A correction is a non-zero amount in yuan with at most two places."),
            fields={"amount": [str(amount)]},
        )
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            "correction_reason_required",
            _("Say why the account is corrected."),
            fields={"reason": [_("Required.")]},
        )
    if not InsuranceRelationship.objects.filter(
        person=person, scheme=scheme, province_id=province_id
    ).exists():
        raise ApplicationError(
            "account_not_held",
            _("The person has never been insured for %(scheme)s in province %(province_id)s.")
            % {"scheme": scheme, "province_id": province_id},
        )
    _balance_check(person_id=person.pk, province_id=province_id, scheme=scheme, amount=amount)
    correction = AccountCorrection.objects.create(
        person=person,
        scheme=scheme,
        province_id=province_id,
        amount=amount,
        period=period,
        reason=reason,
        proposed_by_id=proposer,
    )
    CORRECTION_STATES.record_created(
        [(correction.pk, correction.status, person.pk)], actor=proposed_by, reason=reason
    )
    return correction


@transaction.atomic
def account_correction_approve(*, correction: AccountCorrection, approved_by: Actor) -> AccountEntry:
    """Approve a proposed correction, by a person other than the one who proposed it, and write its entry
    to the ledger in the same transaction. A correction that takes money out is refused if the account no
    longer holds it."""
    approver = _user_of(approved_by)
    if approver == correction.proposed_by_id:
        raise ForbiddenError(
            "correction_needs_second_person",
            _("A correction is approved by someone other than its proposer."),
        )
    account_lock(person_id=correction.person_id)
    # The move refuses a correction that is no longer proposed (approved or rejected already); the balance
    # is read after it, under the lock, and a refusal then undoes the move with the transaction.
    CORRECTION_STATES.move(
        correction.pk,
        to=CorrectionStatus.APPROVED,
        actor=approved_by,
        values={"decided_by": approver, "decided_at": timezone.now()},
    )
    correction.refresh_from_db()
    _balance_check(
        person_id=correction.person_id,
        province_id=correction.province_id,
        scheme=correction.scheme,
        amount=correction.amount,
    )
    return AccountEntry.objects.create(
        person_id=correction.person_id,
        province_id=correction.province_id,
        scheme=correction.scheme,
        kind=AccountEntryKind.CORRECTION,
        amount=correction.amount,
        period=correction.period,
        correction=correction,
    )


@transaction.atomic
def account_correction_reject(
    *, correction: AccountCorrection, rejected_by: Actor, reason: str
) -> AccountCorrection:
    """Reject a proposed correction, saying why: nothing reaches the ledger. Its proposer may withdraw it
    this way too."""
    decider = _user_of(rejected_by)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            "correction_reason_required",
            _("Say why the correction is rejected."),
            fields={"reason": [_("Required.")]},
        )
    CORRECTION_STATES.move(
        correction.pk,
        to=CorrectionStatus.REJECTED,
        actor=rejected_by,
        reason=reason,
        values={"decided_by": decider, "decided_at": timezone.now()},
    )
    correction.refresh_from_db()
    return correction
