"""The face certification job with the real photographs of ../shared/fixtures/faces/."""

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from cards.models import CardDataReadLog
from certification.faces import FaceComparison, TransientFaceError
from certification.models import Certification, FaceJob
from certification.services.faces import face_job_decide, face_job_start, selfies_purge
from certification.tasks import face_job_run
from core.exceptions import ApplicationError
from tests.cards.cardmaking import enabled_card, face
from tests.cards.test_photos import _png_header_claiming
from tests.certification.conftest import award_in_payment
from tests.factories import TEST_ACTOR

pytestmark = pytest.mark.django_db
CONSENT = "I agree that my selfie is compared with my card photo."


@pytest.fixture
def award():
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 1, 1))
    enabled_card(award.person)  # its photo: obama_small.jpg
    return award


def start(award, selfie: bytes, *, method="face_self", consent=CONSENT):
    return face_job_start(award=award, method=method, selfie=selfie, consent_text=consent, actor=TEST_ACTOR)


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("selfie", "method"), [("obama.jpg", "face_self"), ("obama2.jpg", "face_family")])
def test_the_same_person_is_accepted_and_certified(award, selfie, method):
    job = start(award, face(selfie), method=method)

    assert face_job_run.apply(args=[job.pk]).get() == "accepted"

    job.refresh_from_db()
    assert job.distance is not None and job.distance <= job.threshold
    assert (job.backend, job.reason) == ("face_recognition", "")
    certification = Certification.objects.get(award=award)
    assert (certification.method, certification.evidence) == (method, f"face_job:{job.pk}")
    award.refresh_from_db()
    assert award.last_certified_on == timezone.localdate()
    assert CardDataReadLog.objects.filter(card_id__isnull=False, what="photo").exists()
    # A second delivery of the same job decides nothing again.
    assert face_job_decide(job_id=job.pk).status == "accepted"
    assert Certification.objects.filter(award=award).count() == 1


@pytest.mark.parametrize(
    ("selfie", "reason"),
    [("biden.jpg", "face_mismatch"), ("two_people.jpg", "selfie_several_faces"), (None, "selfie_no_face")],
)
def test_another_person_two_faces_or_none_are_refused(award, selfie, reason):
    job = start(award, face(selfie) if selfie else blank_png())

    decided = face_job_decide(job_id=job.pk)

    assert (decided.status, decided.reason) == ("refused", reason)
    if reason == "face_mismatch":
        assert decided.distance > decided.threshold
    assert not Certification.objects.exists()


def test_the_threshold_is_the_provinces(award):
    from certification.models import CertificationProvinceConfig

    CertificationProvinceConfig.objects.create(province_id="11", face_threshold="0.050")
    decided = face_job_decide(job_id=start(award, face("obama.jpg")).pk)
    assert (decided.status, decided.reason, str(decided.threshold)) == ("refused", "face_mismatch", "0.050")


def test_bad_files_and_missing_consent_are_refused_before_the_model(award, settings):
    settings.SELFIE_MAX_BYTES = 100_000
    codes = []
    for content, consent in (
        (b"not an image at all", CONSENT),
        (_png_header_claiming(50_000, 50_000), CONSENT),
        (b"\xff\xd8" + b"0" * 100_001, CONSENT),
        (face("obama_small.jpg"), " "),
    ):
        with pytest.raises(ApplicationError) as refused:
            start(award, content, consent=consent)
        codes.append(refused.value.code)
    assert codes == ["selfie_format", "selfie_too_many_pixels", "selfie_too_large", "face_consent_required"]
    assert not FaceJob.objects.exists()


def test_the_selfie_is_kept_encrypted_until_its_audit_period_after_the_decision(award):
    content = face("obama.jpg")
    job = start(award, content)
    assert bytes(job.selfie_ciphertext) != content and content[:64] not in bytes(job.selfie_ciphertext)
    assert job.consent_text == CONSENT and job.consented_at is not None

    decided = face_job_decide(job_id=job.pk)
    assert selfies_purge(now=decided.decided_at + datetime.timedelta(days=29)) == 0
    assert selfies_purge(now=decided.decided_at + datetime.timedelta(days=30)) == 1
    decided.refresh_from_db()
    assert decided.selfie_ciphertext is None and decided.distance is not None


class ClockedBackend:
    """A comparison that takes a while, and notes when it was done."""

    name = "clocked"
    done_at: datetime.datetime | None = None

    def compare(self, *, selfie, reference):
        time.sleep(0.05)
        ClockedBackend.done_at = timezone.now()
        return FaceComparison(distance=Decimal("0.1000"))


def test_the_decision_is_timed_once_the_comparison_is_done(award, settings):
    settings.CERTIFICATION_FACE_BACKENDS = {"11": "tests.certification.test_faces.ClockedBackend"}
    job = start(award, face("obama.jpg"))

    face_job_decide(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "accepted"
    assert job.decided_at >= ClockedBackend.done_at
    assert job.purge_after == job.decided_at + datetime.timedelta(days=30)


class FlakyBackend:
    """An external identity service that is down on the first call."""

    name = "external"
    calls = 0

    def compare(self, *, selfie, reference):
        FlakyBackend.calls += 1
        if FlakyBackend.calls == 1:
            raise TransientFaceError("service unavailable")
        return FaceComparison(distance=None, reason="selfie_no_face")


def test_a_provinces_external_backend_is_used_and_a_transient_error_leaves_the_job_to_retry(award, settings):
    settings.CERTIFICATION_FACE_BACKENDS = {"11": "tests.certification.test_faces.FlakyBackend"}
    FlakyBackend.calls = 0
    job = start(award, face("obama.jpg"))

    with pytest.raises(TransientFaceError):
        face_job_decide(job_id=job.pk)
    assert FaceJob.objects.get(pk=job.pk).status == "queued"
    decided = face_job_decide(job_id=job.pk)

    assert (decided.status, decided.backend, decided.reason) == ("refused", "external", "selfie_no_face")
