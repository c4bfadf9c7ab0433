"""Reads of pensions in payment and certification, scoped to the caller."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import Scope
from certification.models import (
    AwardStatus,
    Certification,
    FaceJob,
    PensionAward,
    RecoveryCase,
    SurvivorClaim,
    SurvivorClaimEntry,
    SuspensionReason,
)
from core.crypto import keyed_hash
from core.exceptions import NotFoundError
from core.identity import IdentityNumber
from core.models import StateEvent
from core.states import events_of
from insurance.models import InsuredPerson
from insurance.selectors import id_numbers_reveal_log, person_of_citizen


def award_of_citizen(*, scope: Scope) -> PensionAward:
    person = person_of_citizen(scope=scope)
    award = PensionAward.objects.filter(person=person).order_by("-created_at").first()
    if award is None:
        raise NotFoundError(_("You have no pension in payment."))
    return award


def certifications_of(*, award: PensionAward) -> QuerySet[Certification]:
    return Certification.objects.filter(person_id=award.person_id, award=award).order_by(
        "-certified_on", "-pk"
    )


def face_job_of_citizen(*, scope: Scope, job_id: int) -> FaceJob:
    award = award_of_citizen(scope=scope)
    job = FaceJob.objects.filter(person_id=award.person_id, pk=job_id).first()
    if job is None:
        raise NotFoundError(_("There is no such face certification."))
    return job


def award_for_certification(*, reader: User, id_number: IdentityNumber, endpoint: str) -> PensionAward:
    """The pension in payment of the pensioner standing before staff of any province, found by the ID
    number they show: certification is the one place where staff reach beyond their province's
    relationships. The look-up of a full ID number is logged, whether it finds a pensioner or not."""
    id_numbers_reveal_log(reader=reader, id_numbers={id_number.value}, endpoint=endpoint)
    person = InsuredPerson.objects.filter(id_number_hash=keyed_hash(id_number.value)).first()
    award = (
        PensionAward.objects.filter(person=person).exclude(status=AwardStatus.STOPPED).first()
        if person
        else None
    )
    if award is None:
        raise NotFoundError(_("No pension in payment is registered for this ID number."))
    return award


def awards_overdue_of_province(*, scope: Scope) -> QuerySet[PensionAward]:
    """The paying province's awards suspended for overdue certification (administrators: every province)."""
    awards = PensionAward.objects.filter(
        status=AwardStatus.SUSPENDED, suspension_reason=SuspensionReason.OVERDUE
    )
    if scope.is_administrator:
        return awards
    return awards.filter(province_id=scope.province_code) if scope.is_agency else awards.none()


def recovery_cases_of_province(*, scope: Scope) -> QuerySet[RecoveryCase]:
    cases = RecoveryCase.objects.all()
    if scope.is_administrator:
        return cases
    return cases.filter(province_id=scope.province_code) if scope.is_agency else cases.none()


def survivors_claims_of_province(*, scope: Scope, status: str | None = None) -> QuerySet[SurvivorClaim]:
    """The paying province's survivors' claims (administrators: every province), of one status if given."""
    claims = SurvivorClaim.objects.all()
    if status:
        claims = claims.filter(status=status)
    if scope.is_administrator:
        return claims
    return claims.filter(province_id=scope.province_code) if scope.is_agency else claims.none()


def survivors_claim_get(*, scope: Scope, claim_id: int) -> SurvivorClaim:
    """One claim of the caller's province; another province's is answered exactly as a missing one."""
    claim = survivors_claims_of_province(scope=scope).filter(pk=claim_id).first()
    if claim is None:
        raise NotFoundError(_("No such survivors' claim."))
    return claim


def survivors_claim_history(*, claim: SurvivorClaim) -> QuerySet[StateEvent]:
    """Every move of the claim, oldest first: who, when, through which channel and why."""
    return events_of(entity=SurvivorClaim, object_id=claim.pk)


def survivors_claim_entries(*, claim: SurvivorClaim) -> QuerySet[SurvivorClaimEntry]:
    return SurvivorClaimEntry.objects.filter(person_id=claim.person_id, claim=claim).order_by("pk")
