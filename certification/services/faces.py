"""Face certification jobs: the selfie is taken with the consent and queued; a worker compares it with
the card's photo and certifies on a match; the selfie is deleted after its audit period."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.selectors import card_photo_read, valid_card_of_person
from certification.faces import face_backend_for, selfie_check
from certification.models import AwardStatus, CertificationMethod, FaceJob, FaceJobStatus, PensionAward
from certification.services.certifications import CertificationInput, award_certify, certification_rules_of
from core.crypto import decrypt_bytes, encrypt_bytes
from core.exceptions import ApplicationError, ConflictError
from core.models import Channel
from core.states import Actor

FACE_METHODS = (CertificationMethod.FACE_SELF, CertificationMethod.FACE_FAMILY)


@transaction.atomic
def face_job_start(
    *, award: PensionAward, method: str, selfie: bytes, consent_text: str, actor: Actor
) -> FaceJob:
    """Take a selfie for a face certification, once it passes the checks that need no model, and
    record the consent to process it; the caller queues `face_job_run` on commit."""
    if method not in FACE_METHODS:
        raise ApplicationError(
            "face_method_invalid",
            _("A face certification is by the pensioner or by a family member."),
            fields={"method": [_("Not a face method.")]},
        )
    if not consent_text.strip():
        raise ApplicationError(
            "face_consent_required",
            _("A selfie is processed only with the pensioner's consent."),
            fields={"consent": [_("Required.")]},
        )
    if award.status == AwardStatus.STOPPED:
        raise ConflictError(
            "certification_award_stopped", _("The pension has stopped: there is nothing to certify.")
        )
    selfie_check(content=selfie)
    return FaceJob.objects.create(
        person_id=award.person_id,
        award=award,
        method=method,
        selfie_ciphertext=encrypt_bytes(selfie),
        consent_text=consent_text.strip(),
        consented_at=timezone.now(),
        requested_by_id=actor.user_id,
    )


def face_job_decide(*, job_id: int) -> FaceJob:
    """The worker's part: compare the selfie with the card's photo and decide. Idempotent: a decided job
    is returned as it is. A transient error of the backend propagates (the task retries); the row is
    locked while deciding, so that two deliveries of the same job decide once."""
    with transaction.atomic():
        job = FaceJob.objects.select_for_update().select_related("award").get(pk=job_id)
        if job.status != FaceJobStatus.QUEUED:
            return job
        award = job.award
        rules = certification_rules_of(province_id=award.province_id)
        card = valid_card_of_person(person_id=job.person_id)
        reference = (
            card_photo_read(card=card, reader_id=None, purpose=f"face certification job {job.pk}")
            if card
            else None
        )
        job.threshold = rules.face_threshold
        if reference is None or job.selfie_ciphertext is None:
            job.status, job.reason = (
                FaceJobStatus.FAILED,
                "no_reference_photo" if reference is None else "no_selfie",
            )
        else:
            backend = face_backend_for(province_id=award.province_id)
            comparison = backend.compare(
                selfie=decrypt_bytes(bytes(job.selfie_ciphertext)), reference=reference[0]
            )
            job.backend, job.distance = backend.name, comparison.distance
            if comparison.distance is None:
                job.status, job.reason = FaceJobStatus.REFUSED, comparison.reason
            elif comparison.distance <= rules.face_threshold:
                job.status = FaceJobStatus.ACCEPTED
            else:
                job.status, job.reason = FaceJobStatus.REFUSED, "face_mismatch"
        # Decided once the comparison is made, not when it began: the time to decision includes it, and the
        # selfie's audit period counts from the decision.
        now = timezone.now()
        job.decided_at = now
        job.purge_after = now + datetime.timedelta(days=rules.selfie_audit_days)
        job.save()
        if job.status == FaceJobStatus.ACCEPTED and award.status != AwardStatus.STOPPED:
            award_certify(
                award=award,
                certification=CertificationInput(
                    method=job.method,
                    certified_on=timezone.localdate(),
                    place_province_id=award.province_id,
                    place=_("Online"),
                    evidence=f"face_job:{job.pk}",
                ),
                actor=Actor(Channel.API, job.requested_by_id, f"face_job:{job.pk}"),
            )
        return job


def selfies_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete every selfie whose audit period after its decision has passed."""
    now = now or timezone.now()
    return FaceJob.objects.filter(selfie_ciphertext__isnull=False, purge_after__lte=now).update(
        selfie_ciphertext=None
    )
