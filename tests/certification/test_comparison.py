"""The nightly comparison: passive certification from life evidence, imprisonment without back pay,
disappearance, and a re-run that changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cards.models import CardAccountEntry
from certification.models import AwardMonth, Certification, StatusEvidence
from certification.services.awards import awards_pay_month
from certification.services.certifications import awards_suspend_overdue
from certification.services.comparison import StatusEvidenceItem, nightly_comparison, status_evidence_record
from certification.services.evidence import LifeEvidenceItem, life_evidence_record
from core.models import StateEvent
from imports.services import import_job_run, import_upload
from insurance.models import InboxMessage, Scheme
from tests.cards.cardmaking import enabled_card
from tests.certification.conftest import award_in_payment
from tests.factories import AgencySystemFactory, open_relationship

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 3, 10)


def snapshot():
    return (
        list(Certification.objects.order_by("pk").values_list("pk", "award_id", "certified_on")),
        list(StateEvent.objects.order_by("pk").values_list("pk", flat=True)),
        list(InboxMessage.objects.order_by("pk").values_list("pk", flat=True)),
        list(CardAccountEntry.objects.order_by("pk").values_list("pk", flat=True)),
    )


def test_life_evidence_certifies_passively_from_its_date_and_resumes_an_overdue_award():
    award = award_in_payment(sequence=1, first_month=202401, certified_on=datetime.date(2024, 1, 5))
    enabled_card(award.person)
    old_evidence = award_in_payment(sequence=2, certified_on=datetime.date(2024, 6, 1))
    awards_suspend_overdue(today=datetime.date(2025, 1, 10))
    awards_pay_month(month=202502)
    life_evidence_record(
        province_id="44",
        items=[
            LifeEvidenceItem(award.person_id, datetime.date(2025, 2, 27), "rail_travel", "12306"),
            LifeEvidenceItem(award.person_id, datetime.date(2025, 2, 1), "hospital_stay", "hospital"),
            LifeEvidenceItem(old_evidence.person_id, datetime.date(2024, 5, 1), "rail_travel", "12306"),
        ],
    )

    result = nightly_comparison(today=TODAY)

    award.refresh_from_db()
    assert (result.certified, result.resumed) == (1, 1)
    assert (award.status, award.last_certified_on) == ("paying", datetime.date(2025, 2, 27))
    passive = Certification.objects.get(award=award)
    assert (passive.method, passive.place_province_id, passive.place, passive.channel) == (
        "passive", "44", "12306", "periodic"
    )  # fmt: skip
    assert CardAccountEntry.objects.filter(reference=f"pension:{award.pk}:202502").exists()
    assert InboxMessage.objects.filter(person_id=award.person_id, kind="certification_passive").count() == 1
    assert not Certification.objects.filter(award=old_evidence).exists()

    before = snapshot()
    again = nightly_comparison(today=TODAY)
    assert (again.certified, again.resumed) == (0, 0)
    assert snapshot() == before


def test_imprisonment_suspends_without_back_pay_and_release_resumes():
    award = award_in_payment(sequence=1, first_month=202501, certified_on=datetime.date(2025, 1, 1))
    enabled_card(award.person)
    awards_pay_month(month=202501)
    status_evidence_record(
        province_id="11",
        items=[StatusEvidenceItem(award.person_id, "imprisonment", datetime.date(2025, 1, 20), "gat")],
    )
    assert nightly_comparison(today=TODAY).imprisoned == 1
    before = snapshot()
    assert nightly_comparison(today=TODAY).imprisoned == 0
    assert snapshot() == before
    for month in (202502, 202503):
        awards_pay_month(month=month)
    # Certified alive while in prison: still not paid.
    life_evidence_record(
        province_id="11",
        items=[LifeEvidenceItem(award.person_id, datetime.date(2025, 3, 5), "other_service", "x")],
    )
    nightly_comparison(today=TODAY)
    award.refresh_from_db()
    assert (award.status, award.suspension_reason) == ("suspended", "imprisonment")

    status_evidence_record(
        province_id="11",
        items=[StatusEvidenceItem(award.person_id, "release", datetime.date(2025, 3, 8), "gat")],
    )
    assert nightly_comparison(today=TODAY).released == 1
    awards_pay_month(month=202504)

    award.refresh_from_db()
    assert (award.status, award.suspension_reason) == ("paying", "")
    months = list(AwardMonth.objects.filter(award=award).order_by("month").values_list("month", "outcome"))
    assert months == [(202501, "paid"), (202502, "forfeited"), (202503, "forfeited"), (202504, "paid")]
    assert CardAccountEntry.objects.filter(person_id=award.person_id).count() == 2
    assert sum(CardAccountEntry.objects.values_list("amount", flat=True)) == Decimal("6000.00")
    assert StatusEvidence.objects.filter(applied_at__isnull=True).count() == 0


def test_a_disappearance_withholds_and_a_later_certification_back_pays():
    award = award_in_payment(sequence=1, first_month=202501, certified_on=datetime.date(2025, 1, 1))
    enabled_card(award.person)
    status_evidence_record(
        province_id="11",
        items=[
            StatusEvidenceItem(award.person_id, "disappearance", datetime.date(2024, 12, 30), "civil affairs")
        ],
    )
    assert nightly_comparison(today=TODAY).missing == 1
    awards_pay_month(month=202501)
    assert AwardMonth.objects.get(award=award).outcome == "withheld"

    life_evidence_record(
        province_id="11",
        items=[LifeEvidenceItem(award.person_id, datetime.date(2025, 2, 3), "medical_settlement", "h")],
    )
    assert nightly_comparison(today=TODAY).resumed == 1
    assert AwardMonth.objects.get(award=award).outcome == "paid"
    assert AwardMonth.objects.get(award=award).back_paid


def test_imprisonment_release_and_disappearance_arrive_through_their_import_kind():
    imprisoned = award_in_payment(sequence=1, first_month=202501, certified_on=datetime.date(2025, 1, 1))
    missing = award_in_payment(sequence=2, first_month=202501, certified_on=datetime.date(2025, 1, 1))
    for award in (imprisoned, missing):  # the uploading province sees its own insured people
        open_relationship(
            person=award.person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=200001
        )
    rows = (
        "id_number,kind,evidence_date,source\n"
        f"{imprisoned.person.id_number},imprisonment,2025-01-20,public_security\n"
        f"{missing.person.id_number},Disappearance,2025-02-01,civil_affairs\n"
        f"{missing.person.id_number},arrest,2025-02-01,civil_affairs\n"
        f"{missing.person.id_number},release,1949-01-01,civil_affairs\n"
    )

    job = _import_status_evidence(rows, "a.csv")
    again = _import_status_evidence(rows, "b.csv")
    result = nightly_comparison(today=TODAY)

    assert sorted(job.row_errors.values_list("row", "code")) == [
        (4, "status_evidence_kind_unknown"),
        (5, "date_before_birth"),
    ]
    assert (job.state, job.rows_accepted, again.rows_accepted) == ("completed_with_errors", 2, 2)
    # The second file repeats the first: its records are held once.
    assert sorted(StatusEvidence.objects.values_list("person_id", "kind", "province_id")) == sorted(
        [(imprisoned.person_id, "imprisonment", "11"), (missing.person_id, "disappearance", "11")]
    )
    assert (result.imprisoned, result.missing) == (1, 1)
    imprisoned.refresh_from_db()
    missing.refresh_from_db()
    assert (imprisoned.status, imprisoned.suspension_reason) == ("suspended", "imprisonment")
    assert (missing.status, missing.suspension_reason) == ("suspended", "disappearance")


def _import_status_evidence(content: str, name: str):
    job, _ = import_upload(
        user=AgencySystemFactory(province="11"),
        kind="status_evidence",
        province_id="11",
        uploaded=SimpleUploadedFile(name, content.encode()),
        enqueue=False,
    )
    return import_job_run(job_id=job.pk)
