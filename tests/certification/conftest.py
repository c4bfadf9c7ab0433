import datetime
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from certification.models import PensionAward
from certification.services.awards import award_create
from imports.services import import_job_run, import_upload
from insurance.models import Scheme
from insurance.periods import period_add_months
from insurance.services.contributions import ContributionMonth
from insurance.services.tariffs import province_year_config_create
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AgencyStaffFactory,
    AgencySystemFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

# Beijing's figures: a year's row holds the previous year's average monthly wage, rising 500 a year.
FIRST_WAGE_YEAR = 2005


def beijing_wage(year: int) -> Decimal:
    return Decimal("5000.00") + 500 * (year - FIRST_WAGE_YEAR)


@pytest.fixture
def beijing_years(db, employer):
    for year in range(FIRST_WAGE_YEAR, timezone.localdate().year + 1):
        province_year_config_create(
            province_id="11",
            year=year,
            average_monthly_wage=beijing_wage(year),
            account_interest_rate=Decimal("0.02"),
        )


def contributor(*, months: int, born: datetime.date = datetime.date(1962, 1, 10), sequence: int = 1):
    """A Beijing man born in January 1962 (retiring at 60 in January 2022) with `months` months of
    contributions ending in December 2021, each at that year's average wage."""
    person = register_person(
        id_number=make_id_number(province="11", birth_date=born, sequence=sequence), name="李四"
    )
    first = period_add_months(202112, 1 - months)
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=first)
    record_contributions(
        person=person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[
            ContributionMonth(
                period=period, declared_base=beijing_wage(period // 100), employer_code=EMPLOYER_CODE
            )
            for period in (period_add_months(first, i) for i in range(months))
        ],
    )
    return person


def award_in_payment(
    *,
    sequence: int,
    amount: str = "3000.00",
    first_month: int = 202401,
    province: str = "11",
    certified_on: datetime.date = datetime.date(2024, 1, 1),
) -> PensionAward:
    """A pensioner already in payment (as the awards import brings them), born 1950."""
    person = register_person(
        id_number=make_id_number(province=province, birth_date=datetime.date(1950, 3, 3), sequence=sequence),
        name="王五",
        residence_province=province,
    )
    return award_create(
        person_id=person.pk,
        province_id=province,
        scheme=Scheme.EMPLOYEE_PENSION,
        monthly_amount=Decimal(amount),
        first_month=first_month,
        certified_on=certified_on,
        inputs={},
        actor=TEST_ACTOR,
    )


def record_death(person, day: datetime.date, *, through: str, province: str = "11") -> None:
    """Record a death as a province's agency does: through the API (`through="api"`) or a `deaths` batch
    file (`"import"`); both reach the one death service."""
    if through == "api":
        client = authenticated_client(AgencyStaffFactory(province=province))
        response = client.post(
            f"/api/v1/agency/persons/{person.pk}/death", {"date_of_death": day.isoformat()}
        )
        assert response.status_code == 200, response.json()
    else:
        job, _ = import_upload(
            user=AgencySystemFactory(province=province),
            kind="deaths",
            province_id=province,
            uploaded=SimpleUploadedFile(
                "deaths.csv", f"id_number,date_of_death,source\n{person.id_number},{day},x\n".encode()
            ),
            enqueue=False,
        )
        job = import_job_run(job_id=job.pk)
        assert not job.row_errors.exists()


def concurrently(call: Callable[[], object], times: int = 2) -> tuple[list, list[Exception]]:
    """Run `call` in `times` threads released together, each on its own database connection: what they
    returned, and what they raised."""
    start = threading.Barrier(times)
    results: list = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            start.wait()
            results.append(call())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
