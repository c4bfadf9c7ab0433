import datetime
from decimal import Decimal

import pytest

from insurance.models import Employer, Scheme
from insurance.services.contributions import ContributionMonth, contributions_record
from insurance.services.persons import person_register
from insurance.services.relationships import relationship_open
from insurance.services.tariffs import province_year_config_create
from tests.factories import make_id_number

EMPLOYER_CODE = "91110000600037341L"  # a valid unified social credit code


@pytest.fixture
def configured_years(db):
    """Beijing and Guangdong figures for 2023-2024 (average monthly wage of the previous year)."""
    for province, wage in (("11", Decimal("10000.00")), ("44", Decimal("8000.00"))):
        for year in (2023, 2024):
            province_year_config_create(
                province_id=province,
                year=year,
                average_monthly_wage=wage,
                account_interest_rate=Decimal("0.0262"),
            )


@pytest.fixture
def employer(db):
    return Employer.objects.create(code=EMPLOYER_CODE, name="Example Co.", province_id="11")


@pytest.fixture
def person(db):
    return person_register(
        id_number=make_id_number(province="11", birth_date=datetime.date(1985, 6, 15)), name="张三"
    )


@pytest.fixture
def paying_person(person, configured_years, employer):
    """A Beijing employee with three months of pension contributions in 2024."""
    relationship_open(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)
    contributions_record(
        person=person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[
            ContributionMonth(period=p, declared_base=Decimal("12000.00"), employer_code=EMPLOYER_CODE)
            for p in (202401, 202402, 202403)
        ],
    )
    return person
