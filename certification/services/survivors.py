"""Survivors' claims (DOMAIN.md §4): a pensioner's death opens a claim to a funeral grant and a survivor
pension, each a number of months of the last monthly pension by the paying province's rule
(`CertificationProvinceConfig`). It moves on the state-move kernel (certification.states.CLAIM_STATES):

    survivors_claims_open    -> opened     (by the death service's hook, awards_stop_on_death)
    survivors_claim_submit   opened -> submitted    agency staff give the survivor's details
    survivors_claim_check    submitted -> checked   a clerk other than the one who submitted them
    survivors_claim_pay      checked -> paid        what the award's recovery case is owed is offset
                                                    first, the rest paid to the survivor's bank account;
                                                    the estate's withheld months become paid_to_estate
    survivors_claim_reject   opened, submitted or checked -> rejected, with the reason

Each move writes its StateEvent: who, when, through which channel and why."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.services.cards import bank_account_checked, bank_account_mask
from certification.models import (
    AwardMonth,
    CertificationProvinceConfig,
    MonthOutcome,
    SurvivorClaim,
    SurvivorClaimEntry,
    SurvivorClaimEntryKind,
    SurvivorClaimStatus,
    SurvivorRelationship,
)
from certification.services.recovery import recovery_offset_against_claim
from certification.states import CLAIM_STATES
from core.crypto import encrypt_text, keyed_hash
from core.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from core.identity import IdentityNumber
from core.money import money_sql
from core.states import Actor
from insurance.models import InsuredPerson, PersonStatus
from insurance.periods import period_of

_RULE = CertificationProvinceConfig._meta
DEFAULT_FUNERAL_GRANT_MONTHS = int(_RULE.get_field("funeral_grant_months").default)
DEFAULT_SURVIVOR_PENSION_MONTHS = int(_RULE.get_field("survivor_pension_months").default)


class AwardStoppedByDeath(NamedTuple):
    award_id: int
    person_id: int
    date_of_death: datetime.date


def survivors_claims_open(*, stopped: Sequence[AwardStoppedByDeath], actor: Actor) -> int:
    """Open the survivors' claim of each award stopped by a death, in one statement for the chunk (the
    death service's hook, from the API or an import alike): the last monthly pension is the amount in
    force in the month of death (or the first month, for a death before it), and the funeral grant and
    survivor pension are the paying province's months of it, or the defaults. The estate amount is the
    sum of the award's months the death made payable to the estate (withheld up to and including the
    month of death), marked just before by the hook. An award's claim opens once. Returns how many
    opened."""
    if not stopped:
        return 0
    award_ids, person_ids, deaths = (list(column) for column in zip(*stopped, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO certification_survivorclaim
                       (person_id, award_id, province_id, date_of_death, monthly_amount, funeral_grant_months,
                        survivor_pension_months, funeral_grant, survivor_pension, estate_amount, status,
                        survivor_name,
                        survivor_relationship, id_number_ciphertext, id_number_hash, survivor_bank_name,
                        survivor_bank_account_masked, survivor_bank_account_ciphertext, rejection_reason,
                        created_at)
                SELECT d.person_id, a.id, a.province_id, d.died, last.amount, rule.funeral, rule.pension,
                       {money_sql("last.amount * rule.funeral")}, {money_sql("last.amount * rule.pension")},
                       estate.amount, %s, '', '', '', '', '', '', '', '', NOW()
                  FROM UNNEST(%s::bigint[], %s::bigint[], %s::date[], %s::integer[])
                       AS d(award_id, person_id, died, death_month)
                  JOIN certification_pensionaward a ON a.id = d.award_id AND a.person_id = d.person_id
                  LEFT JOIN certification_certificationprovinceconfig c ON c.province_id = a.province_id
                 CROSS JOIN LATERAL (SELECT COALESCE(c.funeral_grant_months, %s) AS funeral,
                                            COALESCE(c.survivor_pension_months, %s) AS pension) rule
                 CROSS JOIN LATERAL (SELECT amount.amount FROM certification_awardamount amount
                                      WHERE amount.person_id = a.person_id AND amount.award_id = a.id
                                        AND amount.from_month <= GREATEST(d.death_month, a.first_month)
                                      ORDER BY amount.from_month DESC LIMIT 1) last
                 CROSS JOIN LATERAL (SELECT COALESCE(SUM(m.amount), 0) AS amount
                                       FROM certification_awardmonth m
                                      WHERE m.person_id = a.person_id AND m.award_id = a.id
                                        AND m.outcome = %s) estate
                ON CONFLICT (person_id, award_id) DO NOTHING
                RETURNING id, person_id""",  # noqa: S608 - money_sql is SQL of ours
            [
                SurvivorClaimStatus.OPENED,
                award_ids,
                person_ids,
                deaths,
                [period_of(day) for day in deaths],
                DEFAULT_FUNERAL_GRANT_MONTHS,
                DEFAULT_SURVIVOR_PENSION_MONTHS,
                MonthOutcome.ESTATE,
            ],
        )
        opened = cursor.fetchall()
    CLAIM_STATES.record_created(
        [(pk, SurvivorClaimStatus.OPENED, person_id) for pk, person_id in opened],
        actor=actor,
        reason="Death of the pensioner",
    )
    return len(opened)


@dataclass(frozen=True, slots=True)
class SurvivorDetails:
    name: str
    relationship: str  # a SurvivorRelationship value
    id_number: IdentityNumber
    bank_name: str
    bank_account: str


def _locked(claim: SurvivorClaim) -> SurvivorClaim:
    """The claim's row, locked for the whole move: the pay reads the recovery case and writes the ledger
    under it, so two concurrent moves of one claim run one after the other."""
    locked = SurvivorClaim.objects.select_for_update().filter(pk=claim.pk).first()
    if locked is None:
        raise NotFoundError(_("No such survivors' claim."))
    return locked


def _require_step(claim: SurvivorClaim, *steps: str) -> None:
    if claim.status not in steps:
        raise ConflictError(
            "survivors_claim_not_in_step",
            _("The survivors' claim is not at this step."),
            fields={"status": [claim.status], "expected": list(steps)},
        )


def _move(
    claim: SurvivorClaim, *, to: str, actor: Actor, reason: str, values: dict[str, Any]
) -> SurvivorClaim:
    CLAIM_STATES.move(claim.pk, to=to, actor=actor, reason=reason, sources=[claim.status], values=values)
    claim.refresh_from_db()
    return claim


@transaction.atomic
def survivors_claim_submit(*, claim: SurvivorClaim, survivor: SurvivorDetails, actor: Actor) -> SurvivorClaim:
    """Give the survivor's details: the name, the relationship to the pensioner, the ID number (kept
    encrypted, with its keyed hash) and the bank account the claim is paid into (kept encrypted, shown
    masked). Refused without a name or a bank, for an unknown relationship or a malformed account, and
    for a survivor registered as deceased (the pensioner among them)."""
    errors: dict[str, list[str]] = {}
    if not survivor.name.strip():
        errors["name"] = [_("Required.")]
    if survivor.relationship not in SurvivorRelationship.values:
        errors["relationship"] = [_("Not a relationship a survivor claims by.")]
    if not survivor.bank_name.strip():
        errors["bank_name"] = [_("Required.")]
    if errors:
        raise ApplicationError(
            "survivors_claim_details_invalid", _("The survivor's details are incomplete."), fields=errors
        )
    account = bank_account_checked(survivor.bank_account)
    digest = keyed_hash(survivor.id_number.value)
    if InsuredPerson.objects.filter(id_number_hash=digest, status=PersonStatus.DECEASED).exists():
        raise ConflictError(
            "survivors_claim_survivor_deceased",
            _("The survivor named is registered as deceased."),
            fields={"id_number": [survivor.id_number.masked]},
        )
    claim = _locked(claim)
    _require_step(claim, SurvivorClaimStatus.OPENED)
    return _move(
        claim,
        to=SurvivorClaimStatus.SUBMITTED,
        actor=actor,
        reason="Survivor details submitted",
        values={
            "survivor_name": survivor.name.strip(),
            "survivor_relationship": survivor.relationship,
            "id_number_ciphertext": encrypt_text(survivor.id_number.value),
            "id_number_hash": digest,
            "survivor_bank_name": survivor.bank_name.strip(),
            "survivor_bank_account_masked": bank_account_mask(account),
            "survivor_bank_account_ciphertext": encrypt_text(account),
            "submitted_by_id": actor.user_id,
        },
    )


@transaction.atomic
def survivors_claim_check(*, claim: SurvivorClaim, actor: Actor) -> SurvivorClaim:
    """A clerk records that the survivor's details were checked against their documents: a second step,
    so by a person other than who submitted them."""
    claim = _locked(claim)
    _require_step(claim, SurvivorClaimStatus.SUBMITTED)
    if actor.user_id is None or actor.user_id == claim.submitted_by_id:
        raise ForbiddenError(
            "survivors_claim_check_same_person",
            _("A survivors' claim is checked by a person other than who submitted it."),
        )
    return _move(
        claim,
        to=SurvivorClaimStatus.CHECKED,
        actor=actor,
        reason="Survivor details checked",
        values={"checked_by_id": actor.user_id},
    )


def _reference(claim: SurvivorClaim, kind: str) -> str:
    return f"survivors:{claim.pk}:{kind}"


@transaction.atomic
def survivors_claim_pay(*, claim: SurvivorClaim, actor: Actor) -> SurvivorClaim:
    """Pay a checked claim: what the recovery case of the same award is still owed is offset against it
    first (recorded on the case), and the rest is paid to the survivor's bank account: the estate's part
    (the pension withheld up to the death) and the grant and survivor pension, each an entry of the
    claim's ledger, as is the offset. The award's months payable to the estate become paid to it in the
    same transaction. Idempotent: a claim already paid is answered as it is, and the ledger's reference
    per claim and kind would refuse a second entry in any case."""
    claim = _locked(claim)
    if claim.status == SurvivorClaimStatus.PAID:
        return claim
    _require_step(claim, SurvivorClaimStatus.CHECKED)
    case, offset = recovery_offset_against_claim(
        person_id=claim.person_id, award_id=claim.award_id, available=claim.total
    )
    rest = claim.total - offset
    # The overpayment is the estate's debt, so it is set off against the estate's months first; the
    # grant and the survivor pension, the survivor's own, cover only what is left of it.
    to_estate = claim.estate_amount - min(offset, claim.estate_amount)
    to_survivor = rest - to_estate
    entry = {"person_id": claim.person_id, "claim": claim, "province_id": claim.province_id}
    entries = []
    if offset:
        kind = SurvivorClaimEntryKind.RECOVERY_OFFSET
        entries.append(
            SurvivorClaimEntry(
                **entry, kind=kind, amount=offset, reference=_reference(claim, kind), recovery_case=case
            )
        )
    for kind, amount in (
        (SurvivorClaimEntryKind.ESTATE_PAYMENT, to_estate),
        (SurvivorClaimEntryKind.SURVIVOR_PAYMENT, to_survivor),
    ):
        if amount:
            entries.append(
                SurvivorClaimEntry(
                    **entry,
                    kind=kind,
                    amount=amount,
                    reference=_reference(claim, kind),
                    bank_name=claim.survivor_bank_name,
                    bank_account_masked=claim.survivor_bank_account_masked,
                    bank_account_ciphertext=claim.survivor_bank_account_ciphertext,
                )
            )
    SurvivorClaimEntry.objects.bulk_create(entries)
    now = timezone.now()
    AwardMonth.objects.filter(
        person_id=claim.person_id, award_id=claim.award_id, outcome=MonthOutcome.ESTATE
    ).update(outcome=MonthOutcome.PAID_TO_ESTATE, paid_at=now)
    return _move(
        claim,
        to=SurvivorClaimStatus.PAID,
        actor=actor,
        reason=(
            f"Paid: {offset} offset against the overpayment, {to_estate} to the estate and {to_survivor} "
            "to the survivor"
        ),
        values={"recovery_offset": offset, "paid_to_survivor": rest, "paid_at": now},
    )


@transaction.atomic
def survivors_claim_reject(*, claim: SurvivorClaim, reason: str, actor: Actor) -> SurvivorClaim:
    """Reject a claim not yet paid, with the written reason."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            "survivors_claim_rejection_reason_required",
            _("A rejection says why, in writing."),
            fields={"reason": [_("Required.")]},
        )
    claim = _locked(claim)
    _require_step(
        claim, SurvivorClaimStatus.OPENED, SurvivorClaimStatus.SUBMITTED, SurvivorClaimStatus.CHECKED
    )
    return _move(
        claim,
        to=SurvivorClaimStatus.REJECTED,
        actor=actor,
        reason=reason,
        values={"rejection_reason": reason},
    )
