from decimal import Decimal

import pytest

from insurance.models import Scheme
from insurance.services.contributions import ContributionMonth
from insurance.services.estimates import benefit_province_decide
from insurance.services.relationships import relationship_suspend
from insurance.services.tariffs import province_year_config_create
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    CitizenFactory,
    authenticated_client,
    open_relationship,
    record_contributions,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen_client(paying_person):
    return authenticated_client(CitizenFactory(id_number=paying_person.id_number))


def test_retirement_age_of_the_citizen_uses_their_own_birth_month(citizen_client):
    # The person was born 1985-06 (a man): n = 246 months from 1965-01, delay capped at 36 months.
    response = citizen_client.get("/api/v1/me/retirement")

    assert response.status_code == 200
    body = response.json()
    assert (body["birth_month"], body["retirement_age_years"], body["retirement_age_months"]) == (
        198506,
        63,
        0,
    )
    assert body["retirement_month"] == 204806
    assert body["steps"]


def test_retirement_age_refuses_a_category_for_a_man(citizen_client):
    response = citizen_client.get("/api/v1/me/retirement", {"female_category": "worker"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "retirement_female_category_not_applicable"


def test_pension_estimate_shows_inputs_and_steps(citizen_client):
    response = citizen_client.get("/api/v1/me/pension-estimate")

    body = response.json()
    assert response.status_code == 200
    assert body["benefit_province"] == "11"
    assert body["province_average_wage"] == "10000.00"
    assert body["personal_account_balance"] == "2880.00"
    assert body["average_contribution_index"] == "1.2000"
    assert body["indexed_average_wage"] == "12000.00"
    # (10000 + 12000) / 2 x 3 months / 12 x 1 % = 27.50; 2880 / 117 (divisor at age 63) = 24.62.
    assert (body["pooled_part"], body["divisor_months"], body["personal_account_part"]) == (
        "27.50",
        117,
        "24.62",
    )
    assert body["total"] == "52.12"
    assert body["eligible"] is False
    assert len(body["steps"]) >= 4


def _pay_months(person, province, first_year, years):
    for year in range(first_year, first_year + years):
        record_contributions(
            person=person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id=province,
            months=[
                ContributionMonth(
                    period=year * 100 + m, declared_base=Decimal("9000"), employer_code=EMPLOYER_CODE
                )
                for m in range(1, 13)
            ],
        )


def test_benefit_province_follows_the_ten_year_rule(person, employer):
    for province in ("11", "44", "32"):
        for year in range(2000, 2025):
            province_year_config_create(province_id=province, year=year, average_monthly_wage=Decimal("8000"))
    # Hukou Beijing; ten years in Guangdong, then three in Jiangsu.
    guangdong = open_relationship(person=person, scheme="EP", province_id="44", opened_period=200501)
    _pay_months(person, "44", 2005, 10)
    relationship_suspend(relationship=guangdong, period=201501, actor=TEST_ACTOR)
    open_relationship(person=person, scheme="EP", province_id="32", opened_period=201501)
    _pay_months(person, "32", 2015, 3)

    assert benefit_province_decide(person=person) == "44"
