import datetime

import pytest

from certification.models import EvidenceKind, LifeEvidence
from certification.services.evidence import LifeEvidenceItem, life_evidence_record

pytestmark = pytest.mark.django_db

MAY_FIRST = datetime.date(2024, 5, 1)


def test_life_evidence_is_recorded_once_per_event(person):
    rail = LifeEvidenceItem(person.pk, MAY_FIRST, EvidenceKind.RAIL_TRAVEL, "12306")
    stay = LifeEvidenceItem(person.pk, MAY_FIRST, EvidenceKind.HOSPITAL_STAY, "hospital")

    first = life_evidence_record(province_id="11", items=[rail])
    second = life_evidence_record(province_id="11", items=[rail, stay])

    assert (first, second) == (1, 1)
    assert sorted(
        LifeEvidence.objects.values_list("person_id", "evidence_date", "kind", "source", "province_id")
    ) == [
        (person.pk, MAY_FIRST, "hospital_stay", "hospital", "11"),
        (person.pk, MAY_FIRST, "rail_travel", "12306", "11"),
    ]


def test_no_life_evidence_records_nothing():
    assert life_evidence_record(province_id="11", items=[]) == 0
    assert not LifeEvidence.objects.exists()
