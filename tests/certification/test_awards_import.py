import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certification.models import AwardAmount, PensionAward
from certification.services.awards import awards_pay_month
from core.models import StateEvent
from imports.services import import_job_run, import_upload
from insurance.models import Scheme
from tests.factories import AgencySystemFactory, make_id_number, open_relationship, register_person

pytestmark = pytest.mark.django_db


def _import(content: str, name: str):
    job, _ = import_upload(
        user=AgencySystemFactory(province="11"),
        kind="awards",
        province_id="11",
        uploaded=SimpleUploadedFile(name, content.encode()),
        enqueue=False,
    )
    return import_job_run(job_id=job.pk)


def test_pensions_in_payment_arrive_through_the_awards_import_and_are_paid_from_their_amount():
    person = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1950, 3, 3), sequence=4), name="赵六"
    )
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=200001)
    header = "id_number,scheme,monthly_amount,first_month,last_certified_on\n"

    job = _import(header + f"{person.id_number},EP,4235.60,202401,2024-11-20\n", "a.csv")
    again = _import(
        header
        + f"{person.id_number},EP,4000.00,202401,2024-11-20\n{person.id_number},UI,1,202401,2024-11-20\n",
        "b.csv",
    )

    assert not job.row_errors.exists()
    award = PensionAward.objects.get(person=person)
    assert (award.province_id, award.monthly_amount, award.first_month) == ("11", Decimal("4235.60"), 202401)
    assert (award.last_certified_on, award.status) == (datetime.date(2024, 11, 20), "paying")
    assert list(AwardAmount.objects.filter(award=award).values_list("from_month", "amount")) == [
        (202401, Decimal("4235.60"))
    ]
    assert StateEvent.objects.get(object_id=award.pk, entity="certification.pensionaward").channel == "import"
    assert sorted(again.row_errors.values_list("code", flat=True)) == ["award_exists", "award_scheme_invalid"]
    assert PensionAward.objects.count() == 1
    assert awards_pay_month(month=202401).refused == 1  # no card yet: waits for the next run
