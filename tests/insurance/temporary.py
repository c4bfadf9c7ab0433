"""People with a temporary account (DOMAIN.md §3), as the temporary-account tests build them on the
`configured_years` figures (Beijing and Guangdong, 2023-2024, interest 2.62 %) and the `employer`."""

import datetime
from decimal import Decimal

from django.utils import timezone

from core.money import money
from insurance.models import InsuredPerson, Scheme
from insurance.services.contributions import ContributionMonth
from insurance.services.relationships import relationship_suspend
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

EP = Scheme.EMPLOYEE_PENSION
RATE = Decimal("0.0262")
# Guangdong's temporary account: 2024-01 to 2024-06 at 8000, 8 % of it credited to the account each month.
TEMPORARY_PERIODS = [202401, 202402, 202403, 202404, 202405, 202406]
TEMPORARY_CREDITS = Decimal("3840.00")  # 6 x 640.00
TEMPORARY_POOLED = Decimal("5760.00")  # 12 % of 6 x 8000, what the gathering moves from the pool


def months(periods, base):
    return [
        ContributionMonth(period=p, declared_base=Decimal(base), employer_code=EMPLOYER_CODE) for p in periods
    ]


def interest_to_date(balance: Decimal) -> Decimal:
    """This year's interest up to this month on a balance all from earlier years (accounts.py's rule)."""
    return money(balance * timezone.localdate().month * RATE / 12)


def older_worker(*, basic_province: str = "11", sequence: int = 1) -> InsuredPerson:
    """A man born 1970-01 (54 in 2024), hukou Beijing, insured first in `basic_province` from 2023-01 (in
    Beijing paying 2023-01 to 2023-03 at 12000), suspended there from 2023-04, who then moved to
    Guangdong: a temporary account from 2024-01, paying 2024-01 to 2024-06 at 8000 and still open."""
    person = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1970, 1, 1), sequence=sequence),
        name="王五",
    )
    basic = open_relationship(person=person, scheme=EP, province_id=basic_province, opened_period=202301)
    if basic_province == "11":
        record_contributions(
            person=person, scheme=EP, province_id="11", months=months([202301, 202302, 202303], "12000.00")
        )
    relationship_suspend(relationship=basic, period=202304, actor=TEST_ACTOR)
    open_relationship(person=person, scheme=EP, province_id="44", opened_period=202401)
    record_contributions(
        person=person, scheme=EP, province_id="44", months=months(TEMPORARY_PERIODS, "8000.00")
    )
    return person
